"""The govern CLI: registry, pass-through arguments, exit codes and one-line failures."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
from pathlib import Path

import pytest

import features
import jobs
import models
from creator_governance.cli import dispatch
from creator_governance.jobargs import UsageError, days_of


def test_application_packages_are_ours_not_shadowed():
    root = Path(__file__).resolve().parents[2]
    for package in (features, jobs, models):
        assert Path(package.__file__).resolve().parent.parent == root


def test_every_registered_job_has_a_main():
    for command, module in jobs.JOBS.items():
        if module is not None:
            assert callable(importlib.import_module(module).main), command


def test_a_planned_command_says_so_and_exits_2(capsys, monkeypatch):
    monkeypatch.setitem(jobs.JOBS, "forecast", None)
    monkeypatch.setitem(jobs.PLANNED, "forecast", 42)
    assert dispatch("forecast", ["--ds", "2026-01-01"]) == 2
    assert "govern forecast: not built yet (planned in issue #42)" in capsys.readouterr().err


def test_every_contract_command_is_built():
    contract = {"simulate", "ingest", "features", "train", "score", "strategies", "metrics", "monitor", "run",
                "demo", "tables", "sql", "detect", "experiment", "serve-sql"}
    assert contract <= {c for c, m in jobs.JOBS.items() if m is not None}


def test_unknown_command_exits_2(capsys):
    assert dispatch("frobnicate", []) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_help_is_the_jobs_own(capsys):
    assert dispatch("tables", ["--help"]) == 0
    assert "--lakehouse" in capsys.readouterr().out


def test_bad_option_is_one_line_and_exit_1(capsys):
    assert dispatch("tables", ["--no-such-option"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unrecognized arguments: --no-such-option" in err[0]


def _conf(tmp_path):
    path = tmp_path / "test.yaml"
    path.write_text("spark:\n  shuffle_partitions: 2\n")
    return str(path)


def test_tables_and_sql_read_the_lakehouse(spark, tables, lakehouse, tmp_path, capsys):
    df = spark.createDataFrame([("a", 2.0), ("b", 3.5)], "order_id string, amount double")
    tables.append("orders", df)
    tables.append("orders", df)

    assert dispatch("tables", ["--json", "--lakehouse", str(lakehouse), "--conf", _conf(tmp_path)]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(t["name"], t["version"], t["rows"], t["engine"]) for t in listed] == [("orders", 1, 4, "delta-rs")]

    query = "SELECT order_id, sum(amount) AS total FROM orders GROUP BY order_id ORDER BY order_id"
    assert dispatch("sql", [query, "--lakehouse", str(lakehouse), "--conf", _conf(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "│ a        │ 4.0   │" in out and "│ b        │ 7.0   │" in out and "2 rows" in out


def test_sql_error_is_one_line(spark, lakehouse, tmp_path, capsys):
    assert dispatch("sql", ["SELECT * FROM missing_table", "--lakehouse", str(lakehouse),
                            "--conf", _conf(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("govern sql: error:") and "missing_table" in err[0]


def test_writers_take_the_lakehouse_lock_and_readers_do_not(spark, tables, lakehouse, tmp_path, capsys):
    import subprocess
    import sys

    from creator_governance import lock
    from creator_governance.cli import EXIT_BUSY

    tables.append("orders", spark.createDataFrame([("a", 2.0)], "order_id string, amount double"))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom creator_governance import lock\n"
         "with lock.writer_scope('run'):\n    lock.hold(sys.argv[1], 0)\n    print('held', flush=True)\n"
         "    time.sleep(120)", str(lakehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        impatient = tmp_path / "impatient.yaml"
        impatient.write_text("tables:\n  lock_timeout_s: 0\n")
        assert dispatch("tables", ["--lakehouse", str(lakehouse), "--conf", str(impatient)]) == 0
        capsys.readouterr()
        code = dispatch("features", ["--ds", "2026-01-01", "--lakehouse", str(lakehouse), "--conf", str(impatient)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == EXIT_BUSY and len(err) == 1
        assert err[0].startswith(f"govern features: error: lakehouse {lakehouse} is busy: job 'run' "
                                 f"(pid {holder.pid} on ")
        assert err[0].endswith("gave up after 0s (tables.lock_timeout_s): re-run when it has finished")
    finally:
        holder.kill()
        holder.wait()
    assert not lock.in_writer_scope()  # dispatch left its scope


def ns(**kw):
    return argparse.Namespace(**{"ds": None, "ds_from": None, "ds_to": None, **kw})


def test_days_of_ranges_and_errors():
    assert days_of(ns(ds="2026-01-31")) == [dt.date(2026, 1, 31)]
    assert days_of(ns(ds_from="2026-02-27", ds_to="2026-03-01")) == [
        dt.date(2026, 2, 27), dt.date(2026, 2, 28), dt.date(2026, 3, 1)]
    with pytest.raises(UsageError, match=r"--ds '2026-13-01': expected a date YYYY-MM-DD"):
        days_of(ns(ds="2026-13-01"))
    with pytest.raises(UsageError, match="before --from"):
        days_of(ns(ds_from="2026-01-02", ds_to="2026-01-01"))
    with pytest.raises(UsageError, match="go together"):
        days_of(ns(ds_from="2026-01-02"))
    with pytest.raises(UsageError, match="not both"):
        days_of(ns(ds="2026-01-01", ds_from="2026-01-02", ds_to="2026-01-03"))
