"""The govern CLI: registry, pass-through arguments, exit codes and one-line failures."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest

from creator_governance import features, jobs, models
from creator_governance.cli import dispatch
from creator_governance.jobargs import UsageError, days_of
from creator_governance.jobs.registry import JOB_BY_NAME, JOBS


def test_application_packages_are_ours_not_shadowed():
    root = Path(__file__).resolve().parents[2]
    for package in (features, jobs, models):
        assert Path(package.__file__).resolve().parent.parent == root


def test_every_registered_job_has_a_parser_and_a_way_to_run():
    for job in JOBS:
        assert isinstance(job.parser(), argparse.ArgumentParser), job.name
        assert job.run is not None or job.command is not None, job.name
        if job.run is not None:  # a step: what govern run calls, with every option at its default
            assert job.report is not None, job.name
            assert job.defaults().verbose is False, job.name


def test_every_contract_command_is_registered():
    contract = {"simulate", "ingest", "features", "train", "score", "strategies", "metrics", "monitor", "run",
                "demo", "tables", "sql", "detect", "experiment", "serve-sql"}
    assert contract <= set(JOB_BY_NAME)


def test_only_jobs_that_change_no_table_run_without_the_lock():
    assert {j.name for j in JOBS if not j.writes} == {"simulate", "tables", "sql", "detect", "rca", "serve-sql"}


def test_the_import_contract_covers_every_runtime_module():
    """The runtime package never imports the jobs: pyproject's forbidden contract lists every module of it but
    the CLI (the top layer), so a new module is covered too."""
    import pkgutil
    import tomllib

    import creator_governance

    root = Path(__file__).resolve().parents[2]
    contracts = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (forbidden,) = [c for c in contracts
                    if c["type"] == "forbidden" and c["forbidden_modules"] == ["creator_governance.jobs"]]
    modules = {f"creator_governance.{m.name}" for m in pkgutil.iter_modules(creator_governance.__path__)}
    application = {"creator_governance.jobs", "creator_governance.features", "creator_governance.models"}
    assert set(forbidden["source_modules"]) == modules - {"creator_governance.cli"} - application


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
    tables.append("sales", df)
    tables.append("sales", df)

    assert dispatch("tables", ["--json", "--lakehouse", str(lakehouse), "--conf", _conf(tmp_path)]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(t["name"], t["version"], t["rows"], t["engine"]) for t in listed] == [("sales", 1, 4, "delta-rs")]

    query = "SELECT order_id, sum(amount) AS total FROM sales GROUP BY order_id ORDER BY order_id"
    assert dispatch("sql", [query, "--lakehouse", str(lakehouse), "--conf", _conf(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "│ a        │ 4.0   │" in out and "│ b        │ 7.0   │" in out and "2 rows" in out

    # catalog names configured (the bundle passes them): on this engine tables stay paths, bare names resolve
    names = ["--catalog", "governance_dev", "--schema", "creator_governance"]
    assert dispatch("tables", ["--json", "--lakehouse", str(lakehouse), "--conf", _conf(tmp_path), *names]) == 0
    assert [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines()] == ["sales"]
    assert dispatch("sql", [query, "--lakehouse", str(lakehouse), "--conf", _conf(tmp_path), *names]) == 0
    assert "│ b        │ 7.0   │" in capsys.readouterr().out


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

    tables.append("sales", spark.createDataFrame([("a", 2.0)], "order_id string, amount double"))
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


def test_relative_days_resolve_against_as_of_in_every_job_parser():
    from creator_governance.jobs.build_features import parse_args as features_args
    from creator_governance.jobs.run import parse_args as run_args
    from creator_governance.jobs.strategies import parse_args as strategies_args

    args = run_args(["--mode", "daily", "--ds", "yesterday", "--as-of", "2026-03-01"])
    assert args.ds == "2026-02-28" and days_of(args) == [dt.date(2026, 2, 28)]
    assert features_args(["--ds", "today", "--as-of", "2026-03-01"]).ds == "2026-03-01"
    assert features_args(["--ds", "today-0", "--as-of", "2026-03-01"]).ds == "2026-03-01"
    ranged = features_args(["--from", "today-3", "--to", "yesterday", "--as-of", "2024-03-02"])
    assert (ranged.ds_from, ranged.ds_to) == ("2024-02-28", "2024-03-01")  # a leap day in between
    # A timestamp anchors on its UTC date; absolute days pass through untouched.
    assert features_args(["--ds", "yesterday", "--as-of", "2026-03-01T23:30:00-02:00"]).ds == "2026-03-01"
    assert features_args(["--ds", "2026-01-05", "--as-of", "2030-01-01"]).ds == "2026-01-05"
    backtest = strategies_args(["backtest", "--from", "today-28", "--to", "yesterday", "--as-of", "2026-03-01"])
    assert (backtest.ds_from, backtest.ds_to, backtest.as_of) == ("2026-02-01", "2026-02-28", "2026-03-01")


def test_relative_days_default_to_the_current_utc_date():
    from creator_governance.jobs.metrics import parse_args as metrics_args

    before = dt.datetime.now(dt.timezone.utc).date()
    resolved = dt.date.fromisoformat(metrics_args(["--ds", "today-2"]).ds)
    after = dt.datetime.now(dt.timezone.utc).date()
    assert before - dt.timedelta(days=2) <= resolved <= after - dt.timedelta(days=2)


@pytest.mark.parametrize("argv, message", [
    (["--ds", "tomorrow"], "--ds 'tomorrow': expected a date YYYY-MM-DD, today, yesterday or today-N"),
    (["--ds", "today+1"], "--ds 'today+1': expected a date"),
    (["--ds", "today-"], "--ds 'today-': expected a date"),
    (["--ds", "Yesterday"], "--ds 'Yesterday': expected a date"),
    (["--from", "today-x", "--to", "today"], "--from 'today-x': expected a date"),
    (["--from", "today-3", "--to", "2026-13-01"], "--to '2026-13-01': expected a date"),
    (["--ds", "yesterday", "--as-of", "01/03/2026"], "--as-of '01/03/2026': expected a date YYYY-MM-DD"),
    (["--ds", "2026-01-01", "--as-of", "soon"], "--as-of 'soon': expected a date"),
])
def test_bad_days_name_the_option_and_value(argv, message):
    from creator_governance.jobs.score import parse_args as score_args

    with pytest.raises(UsageError) as caught:
        score_args(argv)
    assert str(caught.value).startswith(message)


def test_a_bad_relative_day_is_a_one_line_cli_error(capsys):
    assert dispatch("metrics", ["--ds", "today-two", "--as-of", "2026-03-01"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "govern metrics: error: --ds 'today-two': expected a date YYYY-MM-DD, today, yesterday or today-N"]


def test_days_of_resolves_a_namespace_built_by_hand():
    assert days_of(ns(ds="yesterday", as_of="2026-01-01")) == [dt.date(2025, 12, 31)]
    assert days_of(ns(ds_from="today-1", ds_to="today", as_of="2026-01-01")) == [
        dt.date(2025, 12, 31), dt.date(2026, 1, 1)]


def test_an_empty_shared_option_means_not_given():
    """A scheduler passes an empty job parameter as "" (the bundle's `conf`)."""
    from creator_governance.jobs.run import parse_args as run_args

    args = run_args(["--ds", "yesterday", "--as-of", "", "--conf", "", "--env", " ", "--lakehouse", "",
                     "--landing", ""])
    assert (args.conf, args.env, args.lakehouse, args.landing, args.as_of) == (None, None, None, None, None)
    assert run_args(["--ds", "2026-01-02", "--conf", "x.yaml"]).conf == "x.yaml"
