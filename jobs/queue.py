"""`govern queue --ds D` (or a range): the daily review queue, risk_queue, from every signal the platform has.

Per day: creator_scores (model score, anomaly score, syndicate), syndicates, strategy_hits of the last
`model.queue.hit_days`, the members' shared items (creator_features: a fingerprint tie on fewer than
`model.queue.min_shared_items` items is weak), the engagements of the last `model.queue.audience_days` (with
content, to find creators whose audience is bought from rings) and the decisions known that day;
models/queue/priority.py turns each signal into a probability of a confirmed violation with those decisions and
combines them; with `queue.calibrate`, models/queue/calibration.py turns the combination into a calibrated
priority with the review samples of earlier days. One row per account and one per syndicate, ranked together
(`rank` 1 = review first); the requested `ds` partitions are replaced in one pass over the days (with
`queue.calibrate`, one day at a time: a day's calibration learns from the queues written before it).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from pyspark.sql import functions as F

from creator_governance.contract import ENTITIES
from creator_governance.jobargs import job_parser
from creator_governance.models.queue.calibration import calibration_sample, fit_calibration
from creator_governance.models.queue.priority import (
    account_queue, anomaly_probability, audience_probability, hit_probability, priors, ranked, reviewed_accounts,
    SHARED_ITEM_COLUMNS, ring_probability, strong_ties, syndicate_queue, with_calibration,
)
from creator_governance.runtime import JobContext, NotReady

log = logging.getLogger("jobs.queue")
TABLE = "risk_queue"


def parser():
    return job_parser("govern queue", "Build the review queue (risk_queue) for --ds or a range.")


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def queue_of(ctx: JobContext, days: list[dt.date]):
    """The ranked queues of `days`, in one pass (each day judged on what was known that day)."""
    q = ctx.cfg.model.queue
    first, last = min(days), max(days)
    written = ctx.tables.read("creator_scores", ds=days)
    ties = ["syndicate_links"] if "syndicate_links" in written.columns else []  # tables scored before the column
    scores = written.select("ds", "account_id", "score", "anomaly_score", "syndicate_id", *ties)
    features = ctx.tables.read("creator_features", ds=days) if ties and ctx.tables.exists("creator_features") else None
    if features is not None and set(SHARED_ITEM_COLUMNS) <= set(features.columns):
        scores = strong_ties(scores, features.select("ds", "account_id", *SHARED_ITEM_COLUMNS),
                             min_shared_items=q.min_shared_items)
    scores = scores.persist()
    decisions = ctx.tables.read_or_empty("decisions", ENTITIES["decisions"].bronze_schema(), ds_to=last)
    reviewed = reviewed_accounts(decisions, days=days).persist()
    pooled = priors(scores, reviewed)
    anomaly = anomaly_probability(scores, reviewed, bins=q.anomaly_bins, prior_strength=q.prior_strength)
    ring = ring_probability(scores, reviewed, prior_strength=q.prior_strength, pooled=pooled)
    if ctx.tables.exists("strategy_hits"):
        hits = ctx.tables.read("strategy_hits", ds_from=first - dt.timedelta(days=q.hit_days + q.hit_horizon_days),
                               ds_to=last)
        hit = hit_probability(hits, decisions, days=days, hit_days=q.hit_days, horizon_days=q.hit_horizon_days,
                              prior_strength=q.prior_strength)
    else:
        hit = ctx.spark.createDataFrame(
            [], "ds date, account_id string, hit_probability double, hit_strategies array<string>")
    engagements = ctx.tables.read_or_empty("engagements", ENTITIES["engagements"].bronze_schema(),
                                           ds_from=first - dt.timedelta(days=q.audience_days - 1), ds_to=last)
    content = ctx.tables.read_or_empty("content", ENTITIES["content"].bronze_schema(), ds_to=last)
    audience = audience_probability(engagements, content, scores, reviewed, window_days=q.audience_days,
                                    min_engagements=q.audience_min_engagements, min_share=q.audience_min_share,
                                    prior_strength=q.prior_strength, pooled=pooled)
    accounts = account_queue(scores, anomaly, ring, hit, actions=q.actions, audience=audience,
                             min_shared_items=q.min_shared_items).persist()
    steps, drawn = calibration_of(ctx, last, decisions) if q.calibrate else ([], 0)
    accounts = with_calibration(accounts, steps, q.actions)
    syndicates = ctx.tables.read("syndicates", ds=days) if ctx.tables.exists("syndicates") else None
    queue = accounts if syndicates is None else accounts.unionByName(syndicate_queue(accounts, syndicates))
    return ranked(queue), [scores, reviewed, accounts], drawn if steps else 0


def calibration_of(ctx: JobContext, ds: dt.date, decisions) -> tuple[list[tuple[float, float]], int]:
    """(steps of the priority's calibration for `ds`, sampled accounts it was fitted on): the queues of the
    `calibration_days` before the outcome window of ds, their review samples and the decisions known on ds;
    no steps (the priority stays the combined evidence) below `calibration_min_sampled`."""
    q = ctx.cfg.model.queue
    last = ds - dt.timedelta(days=q.calibration_horizon_days)
    first = last - dt.timedelta(days=q.calibration_days - 1)
    if not (ctx.tables.exists(TABLE) and ctx.tables.exists("review_sample")):
        return [], 0
    queues = ctx.tables.read(TABLE, ds_from=first, ds_to=last)
    if "combined_evidence" not in queues.columns:  # written before the column: nothing to learn from
        return [], 0
    sample = ctx.tables.read("review_sample", ds_from=first, ds_to=last).select("ds", "account_id", "inclusion_prob")
    rows = calibration_sample(queues.filter(F.col("combined_evidence").isNotNull()), sample, decisions,
                              horizon_days=q.calibration_horizon_days, today=ds).toPandas()
    if len(rows) < q.calibration_min_sampled:
        return [], len(rows)
    return fit_calibration(rows["evidence"], rows["confirmed"], rows["weight"], bins=q.calibration_bins,
                           prior_strength=q.prior_strength), len(rows)


def run(ctx: JobContext, days: list[dt.date]) -> dict:
    """Build and write the queue of each day: all days in one pass and one write, or with `queue.calibrate` one
    day at a time (a day's calibration learns from the queues of earlier days); returns rows, the days whose
    priority is calibrated, and seconds."""
    if not ctx.tables.exists("creator_scores"):
        raise NotReady("queue: no creator_scores table: run govern score first")
    start = time.monotonic()
    done = [ds for ds in days if ctx.tables.partition_rows("creator_scores", ds)]
    for ds in sorted(set(days) - set(done)):
        log.info("queue: no scores on %s: skipped", ds)
    calibrated_on = {}
    for batch in ([[ds] for ds in done] if ctx.cfg.model.queue.calibrate else [done] if done else []):
        frame, held, drawn = queue_of(ctx, batch)
        ctx.tables.overwrite_partitions(TABLE, frame, batch, job="queue")
        for cached in held:
            cached.unpersist()
        calibrated_on |= {ds.isoformat(): drawn for ds in batch}
        log.info("queue: %s..%s written%s", batch[0], batch[-1],
                 f" (calibrated on {drawn} reviewed sampled accounts)" if drawn else "")
    if not done:
        raise NotReady(f"queue: no creator_scores on {days[0]}..{days[-1]}")
    written = ctx.tables.read(TABLE, ds=done)
    counts = written.groupBy("suggested_action", "calibrated").count().collect()
    by_action: dict[str, int] = {}
    for r in counts:
        by_action[r["suggested_action"]] = by_action.get(r["suggested_action"], 0) + r["count"]
    return {"rows": sum(r["count"] for r in counts), "by_action": by_action,
            "calibrated_rows": sum(r["count"] for r in counts if r["calibrated"]),
            "calibration_sampled": calibrated_on, "seconds": round(time.monotonic() - start, 1)}


def report(days: list[dt.date], s: dict) -> str:
    return (f"queue: {len(days)} day(s) {days[0]}..{days[-1]}: {s['rows']} rows {s['by_action']} "
            f"({s['calibrated_rows']} with a calibrated priority) in {s['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("queue").main(argv)
