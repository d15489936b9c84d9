"""Crash safety: SIGKILL an ingest half-way (after its first bronze commit), re-run, compare to one clean run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pyarrow as pa

VOLATILE = ("run_id", "ingested_at", "quarantined_at", "computed_at")
TABLES = ("accounts", "sessions", "engagements", "quarantine", "ingest_log", "data_quality")


def write_landing(root, lz, n=2000):
    """Accounts (Parquet), sessions (CSV) and engagements (JSON Lines) with a few bad rows in each."""
    start = dt.datetime(2026, 1, 1)
    files = []
    for part in range(3):
        ids = [f"a{part}-{i}" for i in range(n)]
        files.append(lz.parquet(root / "accounts" / f"part-{part}.parquet", pa.table({
            "account_id": ids,
            "created_at": pa.array([start + dt.timedelta(minutes=i) for i in range(n)], pa.timestamp("us")),
            "country": ["FR" if i % 97 else "fra" for i in range(n)],
        })))
    files.append(lz.csv(root / "sessions" / "day1" / "s.csv", ["event_id", "account_id", "ts", "device_id"], [
        [f"s{i}", f"a0-{i % n}", f"2026-01-02T{i % 24:02d}:00:00+02:00", f"d{i % 50}"] for i in range(2 * n)]))
    files.append(lz.jsonl(root / "engagements" / "e.jsonl", [
        {"event_id": f"e{i}", "ts": "2026-01-03T10:00:00Z", "actor_id": f"a1-{i % n}", "content_id": f"c{i % 9}",
         "action": "view" if i % 101 else "poke"} for i in range(3 * n)], raw_lines=["{oops"]))
    lz.touch_in_order(*files)


def snapshot(tables, rows_of):
    return {name: rows_of(tables, name, tuple(c for c in VOLATILE if c in tables.read(name).columns))
            for name in TABLES}


def test_a_run_killed_half_way_then_rerun_equals_one_clean_run(spark, tmp_path, lz, ingest_into, rows_of):
    from creator_governance.tables import Tables

    landing = tmp_path / "landing"
    write_landing(landing, lz)
    killed = tmp_path / "killed"
    code = (
        "import sys; from creator_governance.runtime import open_context; "
        "from creator_governance.settings import Config; from creator_governance.jobs import ingest; "
        "cfg = Config.model_validate({'tables': {'lakehouse': sys.argv[1], 'engine': 'delta-rs'}, "
        "'spark': {'master': 'local[1]', 'driver_memory': '1g', 'shuffle_partitions': 2}}); "
        "ingest.run(open_context(cfg), sys.argv[2])"
    )
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    proc = subprocess.Popen([sys.executable, "-c", code, str(killed), str(landing)], env=env,
                            cwd=os.getcwd(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_commit = killed / "accounts" / "_delta_log" / "00000000000000000000.json"
    try:
        deadline = time.time() + 300
        while not first_commit.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its JVM: a hard crash mid-run
        proc.wait()
    assert first_commit.exists(), "the ingest never reached its first commit"
    assert not (killed / "ingest_log").exists(), "the run finished before the kill"

    rerun = Tables(spark, str(killed), engine="delta-rs")
    summary = ingest_into(spark, rerun, landing)
    clean = Tables(spark, str(tmp_path / "clean"), engine="delta-rs")
    ingest_into(spark, clean, landing)

    assert summary["rows_read"] == 3 * 2000 + 2 * 2000 + 3 * 2000 + 1
    assert snapshot(rerun, rows_of) == snapshot(clean, rows_of)
