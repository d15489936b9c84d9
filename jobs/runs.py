"""`pipeline_runs`: one row per step and day, however the step was started (`govern run`, `govern <step>`, a
notebook, a wheel task): the step runs with its Spark work named (`govern <step> ds=…`), and its status, time,
rows and the summary it returned are recorded."""

from __future__ import annotations

import datetime as dt
import json
import time

from creator_governance.jobs.registry import Job, days_label
from creator_governance.logs import current_run_id, fresh_run_id, log_context
from creator_governance.reasons import one_line
from creator_governance.runtime import JobContext, NotReady, spark_work

TABLE = "pipeline_runs"


def new_run_id() -> str:
    """The run id of this invocation (the one the CLI put in the log context), else a fresh one (a notebook, a
    test)."""
    return current_run_id() or fresh_run_id()


class StepFailed(RuntimeError):
    """A step raised: recorded as failed; the message names the step, the days and the one-line reason."""


def execute(ctx: JobContext, run_id: str, step: Job, days: list[dt.date], args, *,
            recorded: list[dt.date]) -> tuple[dict, float]:
    """Run `step` on `days` and record it under `recorded`; (its summary, seconds). NotReady passes through
    unrecorded (the caller decides whether it is a skip); any other failure is recorded and raised as
    StepFailed."""
    start = time.monotonic()
    started_at = dt.datetime.now(dt.timezone.utc)
    label = days_label(recorded if days else [])  # a command without days (ingest alone) is not labelled a day
    try:
        with log_context(run_id=run_id, step=step.name, ds=label.removeprefix("ds=") or None), \
                spark_work(ctx.spark, f"govern {step.name}", f"govern {step.name} {label} (run {run_id})"):
            result = step.run(ctx, days, args)
    except NotReady:
        raise
    except Exception as exc:
        reason = one_line(exc)
        record(ctx, run_id, step.name, recorded, "failed", time.monotonic() - start, 0, reason[:500], started_at)
        raise StepFailed(f"step {step.name} failed for {label or 'its run'}: {reason}") from exc
    seconds = time.monotonic() - start
    record(ctx, run_id, step.name, recorded, "success", seconds, step.rows(result), None, started_at, summary=result)
    return result, seconds


def record(ctx, run_id, step, days, status, duration, rows, error, started_at=None, summary=None) -> None:
    """One pipeline_runs row per day the step covered (the duration, rows and summary are the step's, on each)."""
    if not days:
        return
    at = started_at or dt.datetime.now(dt.timezone.utc)
    text = None if summary is None else json.dumps(summary, default=str, sort_keys=True)[:8000]
    rows_out = [(run_id, step, status, at, float(duration), int(rows), error, d, text) for d in days]
    ctx.tables.append_rows(TABLE, rows_out)
