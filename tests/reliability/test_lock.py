"""Two pipelines on one lakehouse: the second waits for the first (or gives up cleanly, naming the holder),
never interleaves its writes; a killed holder frees the lock at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from creator_governance import lock
from creator_governance.cli import EXIT_BUSY

ENV = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}

# A child that takes the lock as job `argv[2]` and reports, then sleeps (to be killed) or leaves.
HOLDER = textwrap.dedent(
    """
    import sys, time
    from creator_governance import lock
    with lock.writer_scope(sys.argv[2]):
        lock.hold(sys.argv[1], float(sys.argv[3]))
        print("held", flush=True)
        time.sleep(float(sys.argv[4]))
    """
)


def _child(lakehouse, job: str, timeout_s: float, sleep_s: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", HOLDER, str(lakehouse), job, str(timeout_s), str(sleep_s)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def test_a_held_lock_names_its_holder_and_is_reentrant(lakehouse):
    with lock.writer_scope("run"):
        path = lock.hold(str(lakehouse), 0)
        assert lock.hold(str(lakehouse), 0) == path  # `govern run` calling a job in-process
        with lock.writer_scope("features"):  # a nested job shares the outer scope
            assert lock.hold(str(lakehouse), 0) == path
        info = lock.holder(str(lakehouse))
        assert info["pid"] == os.getpid() and info["job"] == "run" and info["host"]

        other = _child(lakehouse, "score", 0.5, 0)
        out, err = other.communicate(timeout=60)
        assert other.returncode != 0 and "held" not in out
        assert (f"LakehouseBusy: lakehouse {lakehouse} is busy: job 'run' (pid {os.getpid()} on "
                in err.strip().splitlines()[-1])
        assert "gave up after 0.5s (tables.lock_timeout_s)" in err
    assert lock.holder(str(lakehouse)) is None  # released and cleared on leaving the scope

    again = _child(lakehouse, "score", 0, 0)
    assert again.communicate(timeout=60)[0].strip() == "held"


def test_outside_a_writer_scope_nothing_is_locked(lakehouse):
    assert lock.hold(str(lakehouse), 0) is None
    assert not (lakehouse / lock.LOCK_DIR).exists()
    with lock.writer_scope("run"):
        assert lock.hold("s3://bucket/lakehouse", 0) is None  # object stores: the Delta engine's concurrency


def test_a_waiting_job_runs_when_the_holder_leaves(lakehouse):
    first = _child(lakehouse, "run", 0, 1.5)
    assert first.stdout.readline().strip() == "held"
    start = time.monotonic()
    second = _child(lakehouse, "ingest", 60, 0)
    out, err = second.communicate(timeout=90)
    first.communicate(timeout=30)
    assert out.strip() == "held" and second.returncode == 0
    assert "waiting up to 60s for job 'run'" in err
    assert time.monotonic() - start >= 0.5  # it waited for the holder


def test_a_sigkilled_holder_frees_the_lock(lakehouse):
    holder = _child(lakehouse, "run", 0, 600)
    assert holder.stdout.readline().strip() == "held"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    assert lock.holder(str(lakehouse))["pid"] == holder.pid  # the file still names it: the kernel lock is gone
    with lock.writer_scope("run"):
        assert lock.hold(str(lakehouse), 0) is not None


def _landing(root) -> int:
    """A landing zone of accounts and sessions; returns the number of session rows."""
    (root / "accounts").mkdir(parents=True)
    (root / "sessions").mkdir()
    with open(root / "accounts" / "a.jsonl", "w") as f:
        for i in range(40):
            f.write(json.dumps({"account_id": f"a{i}", "created_at": "2025-12-01T00:00:00Z"}) + "\n")
    n = 0
    for part in range(3):
        with open(root / "sessions" / f"s{part}.jsonl", "w") as f:
            for i in range(200):
                f.write(json.dumps({"event_id": f"e{part}-{i}", "account_id": f"a{i % 40}",
                                    "ts": "2026-01-01T10:00:00Z", "device_id": f"d{i % 13}"}) + "\n")
                n += 1
    return n


def _govern(*argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "creator_governance.cli", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)


@pytest.mark.slow
def test_two_ingests_of_one_landing_zone_serialise(tmp_path, lakehouse):
    """Unlocked, both would ingest the same files (each reads ingest_log before the other writes it). Slow:
    two `govern ingest` processes, each starting its own JVM one after the other (~4 min at load 18)."""
    sessions = _landing(tmp_path / "landing")
    impatient = tmp_path / "impatient.yaml"
    impatient.write_text("tables:\n  lock_timeout_s: 0\n")
    argv = ["ingest", "--landing", str(tmp_path / "landing"), "--lakehouse", str(lakehouse)]

    first = _govern(*argv)
    deadline = time.monotonic() + 60
    while lock.holder(str(lakehouse)) is None and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, "the first ingest finished before the others started"
    rejected = _govern(*argv, "--conf", str(impatient))
    waiting = _govern(*argv)
    rejected_out, rejected_err = rejected.communicate(timeout=120)
    first_out, first_err = first.communicate(timeout=300)
    waiting_out, waiting_err = waiting.communicate(timeout=300)

    assert first.returncode == 0, first_err[-2000:]
    assert rejected.returncode == EXIT_BUSY
    assert rejected_err.strip().splitlines()[-1].startswith(
        f"govern ingest: error: lakehouse {lakehouse} is busy: job 'ingest' (pid {first.pid} on ")
    assert waiting.returncode == 0, waiting_err[-2000:]
    assert "waiting up to 300s for job 'ingest'" in waiting_err

    import pyarrow.compute as pc
    from deltalake import DeltaTable

    bronze = DeltaTable(str(lakehouse / "sessions")).to_pyarrow_table()
    assert bronze.num_rows == sessions
    assert len(pc.unique(bronze.column("event_id"))) == sessions
    files = DeltaTable(str(lakehouse / "ingest_log")).to_pyarrow_table().column("source_file").to_pylist()
    assert len(files) == len(set(files)) == 4  # every file ingested exactly once
