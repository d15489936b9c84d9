"""`govern credit --ds D` (or a range): write creator_credit, the creator and merchant credit score per day.

`govern strategies` runs it first when strategies.credit.enabled, so strategies can spare good creators.
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import functions as F

from creator_governance.contract import ENTITIES
from creator_governance.jobargs import job_parser
from creator_governance.models.credit.score import build_creator_credit
from creator_governance.runtime import JobContext

log = logging.getLogger("jobs.credit")


def parser():
    return job_parser("govern credit", "Compute creator_credit for --ds or a range.")


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def run(ctx: JobContext, days: list[dt.date]) -> dict:
    """Build and write creator_credit for `days`; returns rows and rated accounts."""
    params = ctx.cfg.strategies.credit
    first, last = min(days), max(days)
    features = ctx.tables.read("creator_features", ds=days)
    accounts = ctx.tables.read_or_empty("accounts", ENTITIES["accounts"].bronze_schema(), ds_to=last)
    decisions = ctx.tables.read_or_empty("decisions", ENTITIES["decisions"].bronze_schema(),
                                         ds_from=first - dt.timedelta(days=params.lookback_days), ds_to=last)
    # A decision counts from its own day on: those made later on the last day are still that day's.
    credit = build_creator_credit(features, accounts, decisions, params=params)
    ctx.tables.overwrite_partitions("creator_credit", credit, days, job="credit")
    counts = ctx.tables.read("creator_credit", ds=days).agg(F.count(F.lit(1)).alias("rows"),
                                                             F.count("credit_score").alias("rated")).first()
    rows, rated = int(counts["rows"]), int(counts["rated"])
    log.info("credit: %s rows, %s rated", rows, rated)
    return {"rows": rows, "rated": rated}


def report(days: list[dt.date], summary: dict) -> str:
    return f"credit: {len(days)} day(s) {days[0]}..{days[-1]}: {summary['rows']} rows, {summary['rated']} rated"


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("credit").main(argv)
