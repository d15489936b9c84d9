"""`govern features --ds D` (or `--from A --to B`): write creator_features and content_features for those days.

Reads the bronze tables once for the whole range (events from the lookback before the first day; accounts and
content created up to the last day), computes every day in one pass (chunks of `backfill_chunk_days`) and
replaces exactly the partitions of the requested days. Graph and lockstep signals are columns of
creator_features.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from creator_governance.contract import ENTITIES
from creator_governance.features.common import LOOKBACK_DAYS, Sources
from creator_governance.features.content import build_content_features
from creator_governance.features.creator import build_creator_features
from creator_governance.features.windows import lookback_bounds
from creator_governance.jobargs import job_parser
from creator_governance.runtime import JobContext

log = logging.getLogger("jobs.build_features")

EVENTS = ("engagements", "sessions", "orders", "reports", "decisions")


def parser():
    parser = job_parser("govern features", "Compute creator_features and content_features for --ds or a range.")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def read_sources(ctx: JobContext, days: list[dt.date]) -> Sources:
    """Bronze frames the days need: events of the lookback, accounts and content up to the last day."""
    first, last = lookback_bounds(days, LOOKBACK_DAYS)
    def bronze(name: str, **filters):
        return ctx.tables.read_or_empty(name, ENTITIES[name].bronze_schema(), **filters).select(
            *ENTITIES[name].bronze_schema().fieldNames())

    frames = {name: bronze(name, ds_from=first, ds_to=last) for name in EVENTS}
    frames["accounts"] = bronze("accounts", ds_to=last)
    # Old content still collects views: its owner is needed whatever its age.
    frames["content"] = bronze("content", ds_to=last)
    return Sources(**frames)


def chunks(days: list[dt.date], size: int) -> list[list[dt.date]]:
    """Consecutive runs of at most `size` days."""
    return [days[i:i + size] for i in range(0, len(days), size)]


def run(ctx: JobContext, days: list[dt.date]) -> dict:
    """Build and write both tables for `days`; returns a summary (rows per table, seconds)."""
    settings = ctx.cfg.features
    summary = {"days": [d.isoformat() for d in days], "creator_features": 0, "content_features": 0}
    start = time.monotonic()
    for part in chunks(sorted(days), settings.backfill_chunk_days):
        sources = read_sources(ctx, part)
        creator = build_creator_features(sources, days=part, params=settings)
        content = build_content_features(sources, days=part, params=settings)
        ctx.tables.overwrite_partitions("creator_features", creator, part, job="features")
        ctx.tables.overwrite_partitions("content_features", content, part, job="features")
        log.info("features: wrote %s..%s", part[0], part[-1])
    for table in ("creator_features", "content_features"):
        summary[table] = sum(ctx.tables.partition_rows(table, d) for d in days)
    summary["seconds"] = round(time.monotonic() - start, 1)
    return summary


def report(days: list[dt.date], summary: dict) -> str:
    return (f"features: {len(days)} day(s) {days[0]}..{days[-1]}: {summary['creator_features']} creator rows, "
            f"{summary['content_features']} content rows in {summary['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("features").main(argv)
