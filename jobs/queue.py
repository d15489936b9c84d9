"""`govern queue --ds D` (or a range): the daily review queue, risk_queue, from every signal the platform has.

Per day: creator_scores (model score, anomaly score, syndicate), syndicates, strategy_hits of the last
`model.queue.hit_days`, the engagements of the last `model.queue.audience_days` (with content, to find creators
whose audience is bought from rings) and the decisions known that day; models/queue/priority.py turns each signal into a
probability of a confirmed violation with those decisions and combines them. One row per account and one per
syndicate, ranked together (`rank` 1 = review first); the requested `ds` partitions are replaced.
"""

from __future__ import annotations

import datetime as dt
import logging
import time


from creator_governance.contract import ENTITIES
from creator_governance.jobargs import config_of, days_of, job_parser
from creator_governance.runtime import JobContext, NotReady, open_context, setup_logging
from models.queue.priority import (account_queue, anomaly_probability, audience_probability, hit_probability,
                                   ranked, reviewed_accounts, ring_probability, syndicate_queue)

log = logging.getLogger("jobs.queue")
TABLE = "risk_queue"


def parse_args(argv: list[str] | None):
    return job_parser("govern queue", "Build the review queue (risk_queue) for --ds or a range.").parse_args(argv)


def queue_of(ctx: JobContext, ds: dt.date):
    """The ranked queue of one day."""
    q = ctx.cfg.model.queue
    scores = ctx.tables.read("creator_scores", ds=[ds]).select("account_id", "score", "anomaly_score",
                                                               "syndicate_id").persist()
    decisions = ctx.tables.read_or_empty("decisions", ENTITIES["decisions"].bronze_schema(), ds_to=ds)
    reviewed = reviewed_accounts(decisions, as_of=ds).persist()
    anomaly = anomaly_probability(scores, reviewed, bins=q.anomaly_bins, prior_strength=q.prior_strength)
    ring = ring_probability(scores, reviewed, prior_strength=q.prior_strength)
    if ctx.tables.exists("strategy_hits"):
        hits = ctx.tables.read("strategy_hits", ds_from=ds - dt.timedelta(days=q.hit_days + q.hit_horizon_days),
                               ds_to=ds)
        hit = hit_probability(hits, decisions, ds=ds, hit_days=q.hit_days, horizon_days=q.hit_horizon_days,
                              prior_strength=q.prior_strength)
    else:
        hit = ctx.spark.createDataFrame([], "account_id string, hit_probability double, hit_strategies array<string>")
    window = ds - dt.timedelta(days=q.audience_days - 1)
    engagements = ctx.tables.read_or_empty("engagements", ENTITIES["engagements"].bronze_schema(), ds_from=window,
                                           ds_to=ds)
    content = ctx.tables.read_or_empty("content", ENTITIES["content"].bronze_schema(), ds_to=ds)
    audience = audience_probability(engagements, content, scores, reviewed, min_engagements=q.audience_min_engagements,
                                    min_share=q.audience_min_share, prior_strength=q.prior_strength)
    accounts = account_queue(scores, anomaly, ring, hit, actions=q.actions, audience=audience).persist()
    syndicates = ctx.tables.read("syndicates", ds=[ds]) if ctx.tables.exists("syndicates") else None
    queue = accounts if syndicates is None else accounts.unionByName(syndicate_queue(accounts, syndicates))
    return ranked(queue, ds), [scores, reviewed, accounts]


def run(ctx: JobContext, days: list[dt.date]) -> dict:
    """Build and write the queue of each day; returns rows and seconds."""
    if not ctx.tables.exists("creator_scores"):
        raise NotReady("queue: no creator_scores table: run govern score first")
    start = time.monotonic()
    frames, cached = [], []
    for ds in days:
        if not ctx.tables.partition_rows("creator_scores", ds):
            log.info("queue: no scores on %s: skipped", ds)
            continue
        frame, held = queue_of(ctx, ds)
        frames.append(frame)
        cached += held
    if not frames:
        raise NotReady(f"queue: no creator_scores on {days[0]}..{days[-1]}")
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    ctx.tables.overwrite_partitions(TABLE, out, days, job="queue")
    for frame in cached:
        frame.unpersist()
    written = ctx.tables.read(TABLE, ds=days)
    counts = written.groupBy("suggested_action").count().collect()
    return {"rows": sum(r["count"] for r in counts), "by_action": {r["suggested_action"]: r["count"] for r in counts},
            "seconds": round(time.monotonic() - start, 1)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose)
    days = days_of(args)
    s = run(open_context(config_of(args)), days)
    print(f"queue: {len(days)} day(s) {days[0]}..{days[-1]}: {s['rows']} rows {s['by_action']} in {s['seconds']} s")
    return 0
