"""The one registry of jobs: each `Job` is an object with its name, one-line description, argument parser,
`run(ctx, days, args) -> summary`, whether it writes tables, and what it reports. The `govern` CLI, spark-submit
(`scripts/spark_entry.py`), the notebooks and `govern run` all go through it; `PIPELINE` is the daily step order,
declared once (the notebooks and the bundle are checked against it by tests).

A step (`run` set) is run in-process with a context built once per process: `Job.main(argv)` parses, opens the
context, runs and prints the report; `govern run` builds one context and calls `job.run` for every step, recording
the summary each returns. A command (`command` set: simulate, sql, detect, …) has its own entry point.

Importing this module is cheap and needs no Spark: each job module is imported when its job is used (a static
import inside the accessor, which import-linter follows), so `govern --help` and `govern detect` work where
pyspark is not installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from creator_governance.runtime import JobContext

Run = Callable[["JobContext", list[dt.date], argparse.Namespace], dict]


def _rows(summary: dict) -> int:
    return int(summary.get("rows") or 0)


@dataclass(frozen=True)
class Job:
    """One registered job."""

    name: str
    description: str
    writes: bool  # takes the lakehouse lock (creator_governance.lock)
    parser: Callable[[], argparse.ArgumentParser]
    run: Run | None = None  # a step: run(ctx, days, args) -> summary
    report: Callable[[list[dt.date], dict], str] | None = None  # the step's summary for people
    command: Callable[[list[str] | None], int] | None = None  # a command with its own entry point
    output: str | None = None  # the table whose ds partitions the step writes
    ranged: bool = True  # one pass over a range (else it runs for the range's last day only)
    dated: bool = True  # takes --ds / --from --to
    rows: Callable[[dict], int] = _rows  # rows the step wrote, from its summary
    parse_args: Callable[[list[str] | None], argparse.Namespace] | None = None  # when it validates beyond parser()

    def parse(self, argv: list[str] | None) -> argparse.Namespace:
        """The job's arguments from a command line (its own validation included)."""
        return self.parse_args(argv) if self.parse_args else self.parser().parse_args(argv)

    def defaults(self, **values: Any) -> argparse.Namespace:
        """The job's options at their defaults (what `govern run` passes a step), with `values` set."""
        args = self.parser().parse_args([])
        for key, value in values.items():
            setattr(args, key, value)
        return args

    def main(self, argv: list[str] | None = None) -> int:
        """The command line: parse, open the context, run (recorded in pipeline_runs), print the report."""
        if self.command is not None:
            return int(self.command(argv) or 0)
        from creator_governance.jobargs import config_of, days_of
        from creator_governance.logs import setup_logging
        from creator_governance.runtime import open_context
        from creator_governance.jobs.runs import StepFailed, execute, new_run_id

        args = self.parse(argv)
        setup_logging(args.verbose, args.log_format)
        days = days_of(args) if self.dated else []
        ctx = open_context(config_of(args))
        # recorded in pipeline_runs as govern run records it; a step without days (ingest) under the UTC date it ran
        recorded = (days if self.ranged else days[-1:]) if self.dated else [dt.datetime.now(dt.timezone.utc).date()]
        try:
            summary, _ = execute(ctx, new_run_id(), self, days, args, recorded=recorded)
        except StepFailed as exc:
            raise exc.__cause__ from None  # the command line says the job's own reason
        print(self.report(days, summary))
        return 0


# ---- the job modules, imported when used ----------------------------------------------------------------------
def _ingest():
    from creator_governance.jobs import ingest
    return ingest


def _features():
    from creator_governance.jobs import build_features
    return build_features


def _train():
    from creator_governance.jobs import train
    return train


def _score():
    from creator_governance.jobs import score
    return score


def _strategies():
    from creator_governance.jobs import strategies
    return strategies


def _queue():
    from creator_governance.jobs import queue
    return queue


def _credit():
    from creator_governance.jobs import credit
    return credit


def _metrics():
    from creator_governance.jobs import metrics
    return metrics


def _monitor():
    from creator_governance.jobs import monitor
    return monitor


def _dashboard():
    from creator_governance.jobs import dashboard
    return dashboard


def _maintain():
    from creator_governance.jobs import maintain
    return maintain


def _simulate():
    from creator_governance.jobs import simulate
    return simulate


def _run():
    from creator_governance.jobs import run
    return run


def _demo():
    from creator_governance.jobs import demo
    return demo


def _tables():
    from creator_governance.jobs import list_tables
    return list_tables


def _sql():
    from creator_governance.jobs import sql
    return sql


def _detect():
    from creator_governance.jobs import detect
    return detect


def _rca():
    from creator_governance.jobs import rca
    return rca


def _experiment():
    from creator_governance.jobs import experiment
    return experiment


def _serve_sql():
    from creator_governance.jobs import serve_sql
    return serve_sql


def _step(module: Callable, name: str, description: str, *, output: str | None, ranged: bool = True,
          dated: bool = True, rows: Callable[[dict], int] = _rows, options: bool = False) -> Job:
    """A step whose module has parser(), report(days, summary) and run(ctx, days) — or, when the step has
    `options` of its own, run_job(ctx, days, args)."""
    def run(ctx, days, args):
        return module().run_job(ctx, days, args) if options else module().run(ctx, days)

    return Job(name, description, writes=True, parser=lambda: module().parser(), run=run,
               report=lambda days, summary: module().report(days, summary), output=output, ranged=ranged,
               dated=dated, rows=rows)


def _command(module: Callable, name: str, description: str, *, writes: bool) -> Job:
    """A command whose module has parser() and main(argv)."""
    return Job(name, description, writes=writes, parser=lambda: module().parser(),
               command=lambda argv: module().main(argv), dated=False,
               parse_args=lambda argv: module().parse_args(argv))


JOBS: tuple[Job, ...] = (
    _command(_simulate, "simulate", "write a synthetic landing zone with planted abuse, incidents and ground truth",
             writes=False),
    _step(_ingest, "ingest", "ingest every new file of a landing zone into bronze Delta tables", output=None,
          dated=False, rows=lambda s: int(s.get("rows_accepted") or 0), options=True),
    _step(_features, "features", "compute creator_features and content_features for --ds or a range",
          output="creator_features", rows=lambda s: int(s.get("creator_features") or 0)),
    _step(_train, "train", "train the violation model (XGBoost)", output=None, ranged=False,
          rows=lambda s: int(s["rows"]["train"] + s["rows"]["validation"]), options=True),
    _step(_score, "score", "score every account for --ds or a range", output="creator_scores",
          rows=lambda s: int(s.get("creator_scores") or 0)),
    Job("strategies", "evaluate strategies for --ds; `strategies backtest` replays them over history", writes=True,
        parser=lambda: _strategies().run_parser(), run=lambda ctx, days, args: _strategies().run(ctx, days),
        report=lambda days, summary: _strategies().report(days, summary),
        command=lambda argv: _strategies().main(argv), parse_args=lambda argv: _strategies().parse_args(argv),
        output="strategy_hits",
        rows=lambda s: int(s.get("hits") or 0)),
    _step(_queue, "queue", "build the review queue (risk_queue) for --ds or a range: every signal in one priority",
          output="risk_queue"),
    _step(_credit, "credit", "compute creator_credit (creator and merchant credit score) for --ds or a range",
          output="creator_credit"),
    _step(_metrics, "metrics", "compute governance_metrics for --ds or a range", output="governance_metrics"),
    _step(_monitor, "monitor", "detect metric anomalies and their root causes for --ds or a range",
          output="alerts", rows=lambda s: int(s.get("alerts") or 0)),
    _step(_dashboard, "dashboard", "render the day's self-contained HTML dashboard under <tables.files>/_dashboard",
          output=None, ranged=False, rows=lambda s: 0, options=True),
    _step(_maintain, "maintain", "compact the small files of --ds or a range's partitions; vacuum every table when due",
          output=None, rows=lambda s: int(s.get("files_added") or 0), options=True),
    _command(_run, "run", "the whole daily pipeline, in order, for each day of --from..--to", writes=True),
    _command(_demo, "demo", "simulate, then run everything on the embedded default", writes=True),
    _command(_tables, "tables", "list every table: name, path, engine, latest version, row count", writes=False),
    _command(_sql, "sql", "run a Spark SQL query with every table registered under its name", writes=False),
    _command(_detect, "detect", "the metric anomaly detector on any CSV time series", writes=False),
    _command(_rca, "rca", "root cause of one move per leaf-table CSV, over combinations of dimension values",
             writes=False),
    _command(_experiment, "experiment", "analyse an A/B test or a non-randomised launch", writes=True),
    _command(_serve_sql, "serve-sql", "serve every table over HiveServer2 (JDBC/ODBC) on 127.0.0.1", writes=False),
)
JOB_BY_NAME: dict[str, Job] = {job.name: job for job in JOBS}
# The daily pipeline, in dependency order (after ingest): declared here only.
PIPELINE: tuple[str, ...] = ("features", "train", "score", "strategies", "queue", "metrics", "monitor", "dashboard",
                             "maintain")


def days_label(days: list[dt.date]) -> str:
    """`ds=D` or `ds=A..B` (empty without days): how a step's work is named in the Spark UI."""
    if not days:
        return ""
    return f"ds={days[0]}" if len(days) == 1 else f"ds={days[0]}..{days[-1]}"


def job(name: str) -> Job:
    """The registered job `name` (KeyError names the known ones)."""
    try:
        return JOB_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown job '{name}' (known: {', '.join(JOB_BY_NAME)})") from None
