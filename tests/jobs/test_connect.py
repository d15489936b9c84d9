"""A daily run over Spark Connect: the pip pyspark's own Connect server (spark-connect jar, started with
spark-submit), and `govern run --mode daily --retrain-days 0` in a client process with SPARK_REMOTE set, so every
daily step — features, training (the single-node trainer: Connect has no barrier tasks), scoring and the anomaly
step (pandas functions on executors, models shipped as file artifacts), the strategies' condition checker, the
queue, metrics, monitor, dashboard — runs without a JVM on the client (slow: simulates, ingests and trains on
classic Spark first)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyspark
import pytest
from pyspark.sql import functions as F

pytestmark = pytest.mark.slow

CLIENT = """
import sys
from pyspark import SparkContext
from pyspark.sql import SparkSession
from creator_governance.cli import main
from creator_governance.runtime import is_connect
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as exc:
    code = int(exc.code or 0)
session = SparkSession.getActiveSession()
print("session:", "connect" if session is not None and is_connect(session) else "classic",
      "jvm on the client:", SparkContext._gateway is not None)
sys.exit(code)
"""


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory, free_port):
    home = Path(pyspark.__file__).parent
    if not list((home / "jars").glob("spark-connect_*.jar")):
        pytest.fail(f"no spark-connect jar in {home / 'jars'}: this pyspark cannot serve Spark Connect")
    root, port = tmp_path_factory.mktemp("connect"), free_port()
    log = root / "server.log"
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable, "SPARK_HOME": str(home)}
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(home / "bin" / "spark-submit"), "--master", "local[2]", "--driver-memory", "2g",
             "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
             "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.ui.enabled=false",
             "--conf", "spark.sql.shuffle.partitions=2", "--conf", f"spark.sql.warehouse.dir={root / 'warehouse'}"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while "Spark Connect server started" not in log.read_text(errors="replace"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the Connect server did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(1)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=60)


@pytest.fixture(scope="module")
def trained(small_world):
    """A small simulated lakehouse ingested and trained on classic Spark."""
    from creator_governance.cli import main

    world = small_world("connect_world", seed=23)
    shared = ["--env", "demo", "--conf", world["conf"], "--lakehouse", world["lakehouse"]]
    trained_as_of = world["start"] + dt.timedelta(days=11)
    for argv in (["ingest", "--landing", world["landing"]], ["train", "--ds", trained_as_of.isoformat()]):
        try:
            main([*argv, *shared])
        except SystemExit as exc:
            assert not exc.code, argv
    return {**world, "shared": shared, "day": trained_as_of + dt.timedelta(days=1)}


def test_a_daily_run_over_spark_connect(spark, trained, connect_server):
    from creator_governance.tables import Tables

    day = trained["day"]
    env = {**os.environ, "SPARK_REMOTE": connect_server}
    env.pop("PYSPARK_GATEWAY_PORT", None)
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, "run", "--mode", "daily", "--retrain-days", "0", "--ds", day.isoformat(),
         "--landing", trained["landing"], *trained["shared"]],
        cwd=trained["root"], env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "session: connect jvm on the client: False" in done.stdout

    tables = Tables(spark, trained["lakehouse"], engine="delta-rs")
    status = {r.step: r.status for r in tables.read("pipeline_runs").filter(F.col("ds") == day).collect()}
    for step in ("features", "train", "score", "strategies", "queue", "metrics", "monitor", "dashboard"):
        assert status.get(step) == "success", (step, status)
    registry = sorted(tables.read("model_registry").collect(), key=lambda r: r.created_at)
    assert len(registry) == 2  # the classic model, then the one trained over Connect
    metadata = json.loads(Path(registry[-1].path, "metadata.json").read_text())
    assert metadata["params"]["trainer"] == "local"
    scores = tables.read("creator_scores", ds=[day])
    assert scores.count() > 0
    assert scores.filter(F.col("anomaly_score").isNull() | F.col("score").isNull()).count() == 0
    assert {r.model_version for r in scores.select("model_version").distinct().collect()} == {registry[-1].version}
    assert tables.read("risk_queue", ds=[day]).count() > 0
