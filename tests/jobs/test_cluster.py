"""spark-submit on a real Spark standalone cluster (master + worker from the installed pyspark, on 127.0.0.1):
the packaged wheel and the thin entry script run the daily pipeline for one simulated day.

Marked slow (a wheel build, a master, a worker and a submitted pipeline: ~3 minutes); .ci/run runs it on
every CI build."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark
import pytest

ROOT = Path(__file__).resolve().parents[2]
SPARK_HOME = Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(SPARK_HOME / "bin" / "spark-class"), *args], stdout=log.open("w"),
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)


def wait_for(log: Path, text: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(1)
    raise AssertionError(f"'{text}' not in {log} after {seconds}s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture()
def cluster(tmp_path):
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_HOME": str(SPARK_HOME),
           "PYSPARK_PYTHON": sys.executable, "SPARK_WORKER_DIR": str(tmp_path / "work")}
    port = free_port()
    master = start(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                    "--webui-port", str(free_port())], tmp_path / "master.log", env)
    worker = None
    try:
        wait_for(tmp_path / "master.log", "I have been elected leader", 120)
        worker = start(["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2",
                        "--memory", "2g", "--webui-port", str(free_port()), f"spark://127.0.0.1:{port}"],
                       tmp_path / "worker.log", env)
        wait_for(tmp_path / "worker.log", "Successfully registered with master", 120)
        yield f"spark://127.0.0.1:{port}", env
    finally:
        for process in (worker, master):
            if process is not None:
                stop(process)


@pytest.mark.slow
def test_pipeline_runs_for_one_day_on_a_standalone_cluster(cluster, tmp_path):
    master, env = cluster
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(dist), str(ROOT)], check=True, env=env, timeout=300)
    wheel = next(dist.glob("creator_governance-*.whl"))
    landing, lakehouse = tmp_path / "landing", tmp_path / "lakehouse"

    def submit(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(SPARK_HOME / "bin" / "spark-submit"), "--master", master,
             "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
             "--conf", f"spark.pyspark.python={sys.executable}", "--conf", "spark.executor.memory=1g",
             "--conf", "spark.sql.shuffle.partitions=4", "--py-files", str(wheel),
             str(ROOT / "scripts" / "spark_entry.py"), *argv],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900,
        )

    sim = submit("simulate", "--out", str(landing), "--accounts", "400", "--days", "2", "--seed", "5")
    assert sim.returncode == 0, sim.stderr[-4000:]
    start_day = json.loads((tmp_path / "landing_truth" / "manifest.json").read_text())["start"]
    day = (dt.date.fromisoformat(start_day) + dt.timedelta(days=1)).isoformat()

    done = submit("run", "--landing", str(landing), "--lakehouse", str(lakehouse), "--ds", day)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-4000:]
    assert any((tmp_path / "work").glob("app-*")), "no executor ran on the worker"

    listed = subprocess.run([sys.executable, "-m", "creator_governance.cli", "tables", "--json",
                             "--lakehouse", str(lakehouse)], capture_output=True, text=True, env=env, check=True)
    tables = {t["name"]: t for t in map(json.loads, listed.stdout.splitlines())}
    for name in ("accounts", "engagements", "creator_features", "governance_metrics", "pipeline_runs"):
        assert tables[name]["rows"] > 0, name
    assert (lakehouse / "_dashboard" / f"dashboard_{day}.html").is_file()
