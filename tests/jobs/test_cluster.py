"""spark-submit on a real Spark standalone cluster (master + worker from the installed pyspark, on 127.0.0.1):
the project shipped the documented way — the wheel, renamed .zip, in `--py-files` (Spark puts .zip, .egg and .jar
on the executors' sys.path, never .whl) — and the thin entry script run the pipeline, training and scoring
included, with executors on a bare Python that has pandas, pyarrow, numpy, scipy, xgboost and scikit-learn
only (xgboost.spark imports scikit-learn in training tasks): the project's
modules come from the shipped archive, which a probe job asserts inside the executors.

Marked slow (a wheel build, a master, a worker and a submitted pipeline: a few minutes); .ci/run runs it on
every CI build."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyspark
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPARK_HOME = Path(pyspark.__file__).parent


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


# What executors need besides pyspark (which comes from SPARK_HOME's pyspark.zip), with their own requirements.
# scikit-learn because xgboost.spark's estimators are built on xgboost's sklearn API and import it on the executors
# ("sklearn needs to be installed" in a training task otherwise); the isolation forest needs it too.
WORKER_DISTRIBUTIONS = ("pandas", "pyarrow", "numpy", "scipy", "xgboost-cpu", "scikit-learn")
PROBE = """
import json, os, sys
from pyspark.sql import SparkSession

def where(_):
    import creator_governance
    from creator_governance import features, jobs, models
    yield {"modules": [os.path.abspath(m.__file__) for m in (creator_governance, features, jobs, models)],
           "python": sys.executable,
           "pythonpath": os.environ.get("PYTHONPATH", ""), "sys_path": sys.path}

spark = SparkSession.builder.getOrCreate()
print("PROBE " + json.dumps(spark.sparkContext.parallelize(range(2), 2).mapPartitions(where).collect()))
"""


def requirement_closure(names) -> set[str]:
    """The installed distributions `names` need, transitively (extras not included)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.distribution(name).requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def bare_python(root: Path) -> Path:
    """A venv without the project: only WORKER_DISTRIBUTIONS and what they require, linked from this
    interpreter's site-packages."""
    from importlib import metadata

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    where = "import json, site; print(json.dumps(site.getsitepackages()))"
    (site,) = json.loads(subprocess.run([str(python), "-c", where], check=True, capture_output=True, text=True).stdout)
    linked: set[str] = set()
    for name in requirement_closure(WORKER_DISTRIBUTIONS):
        dist = metadata.distribution(name)
        base = Path(dist.locate_file(""))
        for top in {Path(f).parts[0] for f in dist.files or [] if not str(f).startswith("..")} - linked:
            if (base / top).exists():
                (Path(site) / top).symlink_to(base / top)
                linked.add(top)
    return python


@pytest.fixture()
def cluster(tmp_path, free_port):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"SPARK_LOCAL_IP": "127.0.0.1", "SPARK_HOME": str(SPARK_HOME), "PYSPARK_PYTHON": sys.executable,
            "SPARK_WORKER_DIR": str(tmp_path / "work")}
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
def test_pipeline_runs_on_a_standalone_cluster_with_a_bare_worker_python(cluster, tmp_path):
    master, env = cluster
    worker_python = bare_python(tmp_path / "bare")
    lacks = subprocess.run([str(worker_python), "-c", "import creator_governance"], capture_output=True, text=True,
                           env=env, cwd=tmp_path)
    assert lacks.returncode != 0 and "No module named 'creator_governance'" in lacks.stderr
    has = subprocess.run([str(worker_python), "-c", "import numpy, pandas, pyarrow, scipy, sklearn, xgboost"], env=env,
                         cwd=tmp_path, capture_output=True, text=True)
    assert has.returncode == 0, has.stderr

    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(dist), str(ROOT)], check=True, env=env, timeout=300)
    wheel = next(dist.glob("creator_governance-*.whl"))
    shipped = dist / "creator_governance.zip"  # a wheel is a zip with the packages at its root
    shipped.write_bytes(wheel.read_bytes())
    landing, lakehouse = tmp_path / "landing", tmp_path / "lakehouse"
    overlay = tmp_path / "small.yaml"
    overlay.write_text(yaml.safe_dump({
        "simulator": {"accounts": 400, "days": 14, "seed": 5},
        # trainer spark: the training tasks on the bare worker are what this test is for (auto fits a set this
        # small on the driver)
        "model": {"training": {"n_estimators": 15, "num_workers": 1, "early_stopping_rounds": 5, "max_depth": 3,
                               "auto_approve": True, "min_pr_auc": 0.0, "trainer": "spark"}},
    }))

    def submit(*argv: str, script: Path = ROOT / "scripts" / "spark_entry.py") -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(SPARK_HOME / "bin" / "spark-submit"), "--master", master,
             "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
             "--conf", f"spark.pyspark.python={worker_python}",
             "--conf", f"spark.pyspark.driver.python={sys.executable}",
             "--conf", "spark.executor.memory=1g", "--conf", "spark.sql.shuffle.partitions=4",
             "--py-files", str(shipped), str(script), *argv],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=1200,
        )

    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    looked = submit(script=probe)
    assert looked.returncode == 0, looked.stdout[-3000:] + looked.stderr[-4000:]
    seen = json.loads(next(line for line in looked.stdout.splitlines() if line.startswith("PROBE "))[6:])
    assert len(seen) == 2
    for executor in seen:
        assert executor["python"] == str(worker_python)
        for module in executor["modules"]:  # from the archive the worker fetched, not the repository or our venv
            assert f"creator_governance.zip{os.sep}" in module and str(tmp_path / "work") in module, module
        # no inherited PYTHONPATH: only Spark's own pyspark/py4j archives and jars; neither the repository nor
        # our site-packages on sys.path
        assert all(p.endswith((".zip", ".jar")) for p in executor["pythonpath"].split(os.pathsep) if p)
        ours = str(Path(yaml.__file__).parent.parent)
        assert not [p for p in executor["sys_path"] if p in (str(ROOT), ours, "") or p.startswith(str(ROOT) + os.sep)
                    and "pyspark" not in p]

    config = ["--env", "demo", "--conf", str(overlay)]
    shared = [*config, "--lakehouse", str(lakehouse)]
    sim = submit("simulate", "--out", str(landing), *config)
    assert sim.returncode == 0, sim.stdout[-3000:] + sim.stderr[-4000:]
    start_day = dt.date.fromisoformat(json.loads((tmp_path / "landing_truth" / "manifest.json").read_text())["start"])
    first, last = start_day + dt.timedelta(days=10), start_day + dt.timedelta(days=11)
    done = submit("run", "--landing", str(landing), "--from", first.isoformat(), "--to", last.isoformat(),
                  "--mode", "backfill", *shared)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-4000:]
    assert any((tmp_path / "work").glob("app-*")), "no executor ran on the worker"

    listed = subprocess.run([sys.executable, "-m", "creator_governance.cli", "tables", "--json",
                             "--lakehouse", str(lakehouse)], capture_output=True, text=True, env=env, check=True)
    tables = {t["name"]: t for t in map(json.loads, listed.stdout.splitlines())}
    # creator_scores: the booster and the anomaly step ran in pandas functions on the bare executors
    for name in ("accounts", "engagements", "creator_features", "model_registry", "creator_scores", "risk_queue",
                 "governance_metrics", "pipeline_runs"):
        assert tables[name]["rows"] > 0, name
    assert (lakehouse / "_dashboard" / f"dashboard_{last}.html").is_file()
