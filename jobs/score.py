"""`govern score --ds D` (or `--from A --to B`): score every account with the latest approved model.

Per day: creator_scores (score, model_version, risk_tier, reason codes in plain words, anomaly_score,
syndicate_id) and syndicates, each replacing exactly the days' partitions. A range is scored in one pass: one
read of the features, the isolation forest and the k-means fitted once on a sample of all the days, connected
components of every day in one iteration (nodes carry their day), one write per table.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.jobargs import job_parser
from creator_governance.jobs.model_store import model_to_score
from creator_governance.models.anomaly.isolation import bounded_sample, fit_isolation_forest, isolation_scores
from creator_governance.models.anomaly.peer import peer_deviation_scores
from creator_governance.models.scoring.score import check_features, plain_words, score_accounts
from creator_governance.models.syndicates.discover import (
    assign_syndicates, behaviour_clusters, describe_syndicates, linked_groups, order_links,
)
from creator_governance.models.training.xgb import numeric_feature_columns
from creator_governance.runtime import JobContext

log = logging.getLogger("jobs.score")

SCORES_COLUMNS = ["account_id", "ds", "score", "model_version", "risk_tier", "reason_codes", "reasons",
                  "anomaly_score", "syndicate_id", "syndicate_links"]
# Behaviour columns of anomaly detection and syndicate clustering: activity, not identity or graph ids.
GRAPH_COLUMNS = ("graph_cluster_size", "lockstep_group_size", "lockstep_score")


def parser():
    return job_parser("govern score", "Score every account for --ds or a range with the latest approved "
                                      "model; writes creator_scores and syndicates.")


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def behaviour_columns(features: DataFrame, model_features: list[str]) -> list[str]:
    """Numeric behaviour columns for anomaly and clustering: the model's features without graph columns."""
    present = set(numeric_feature_columns(features.schema))
    return [c for c in model_features if c in present and c not in GRAPH_COLUMNS]


def anomaly_of(features: DataFrame, columns: list[str], ctx: JobContext) -> DataFrame:
    """account_id, ds, anomaly_score: the forest is fitted once on a sample of all the days, then applied."""
    a = ctx.cfg.model.anomaly
    if a.method == "peer_deviation":
        return peer_deviation_scores(features, columns=columns, peer_columns=a.peer_columns,
                                     sample_rows=a.peer_sample_rows, seed=a.seed)
    sample = bounded_sample(features.select(*columns), rows=a.sample_rows, seed=a.seed).toPandas()
    forest = fit_isolation_forest(sample, columns=columns, n_trees=a.n_trees, max_samples=a.max_samples, seed=a.seed)
    return isolation_scores(features, forest=forest, columns=columns)


def order_links_of(ctx: JobContext, days: list[dt.date]) -> DataFrame | None:
    """Buyer-seller links of every day (account_id, ds, link_key) in one aggregation (models/syndicates)."""
    s = ctx.cfg.model.syndicates
    if not s.order_link_min_orders or not ctx.tables.exists("orders"):
        return None
    orders = ctx.tables.read("orders", ds_from=days[0] - dt.timedelta(days=s.order_link_days), ds_to=days[-1])
    return order_links(orders, days=days, lookback_days=s.order_link_days, min_orders=s.order_link_min_orders)


def syndicates_of(features: DataFrame, scored: DataFrame, columns: list[str], ctx: JobContext, words: dict,
                  days: list[dt.date]):
    """(members, membership, syndicates) of every day: components of all days in one pass, k-means fitted once;
    `members` is persisted (release it after writing)."""
    s = ctx.cfg.model.syndicates
    groups = linked_groups(features, extra_links=order_links_of(ctx, days))
    sample = bounded_sample(features.select(*columns), rows=s.sample_rows, seed=s.seed)
    clusters = behaviour_clusters(features, sample, columns=columns, k=s.behaviour_clusters, seed=s.seed)
    # Read twice (syndicate rows, then membership): keep it rather than redo the k-means assignment.
    members = assign_syndicates(groups, clusters, min_size=s.min_size, min_member_share=s.min_member_share).persist()
    return members, *describe_syndicates(members, features, scored, signal_columns=columns, plain_words=words,
                               min_size=s.min_size, enforce_min_score=s.enforce_min_score,
                               review_min_score=s.review_min_score)


def score_days(ctx: JobContext, days: list[dt.date], raw: bytes, meta: dict, words: dict):
    """(creator_scores rows, syndicates rows, the scores (cached), the frames to release after writing) of `days`,
    in one pass."""
    sc = ctx.cfg.model.scoring
    features = ctx.tables.read("creator_features", ds=days)
    check_features(meta["features"], features.columns, model_version=meta["version"])
    features = features.persist()
    scores = score_accounts(features, booster_raw=raw, feature_columns=meta["features"],
                            model_version=meta["version"], plain_words=words, tiers=sc.tiers,
                            reason_count=sc.reason_count, exact_min_score=sc.exact_reasons_min_score,
                            margin_offset=meta.get("margin_offset", 0.0))
    columns = behaviour_columns(features, meta["features"])
    anomaly = anomaly_of(features, columns, ctx)
    scored = scores.join(anomaly, on=["account_id", "ds"], how="left").persist()
    members, membership, syndicates = syndicates_of(features, scored, columns, ctx, words, days)
    out = scored.join(membership, on=["account_id", "ds"], how="left").select(*SCORES_COLUMNS)
    return out, syndicates, scored, [members, scored, features]


def run(ctx: JobContext, days: list[dt.date]) -> dict:
    """Score the days in one pass (one read, one fit of each unsupervised model, one write per table); returns
    rows per table, the model version and seconds."""
    raw, meta = model_to_score(ctx)
    words = plain_words()
    summary = {"model_version": meta["version"], "days": [d.isoformat() for d in days], "creator_scores": 0,
               "syndicates": 0, "high_or_critical": 0}
    start = time.monotonic()
    scores, syndicates, scored, cached = score_days(ctx, days, raw, meta, words)
    log.info("score: models fitted and components found in %.1f s", time.monotonic() - start)
    rings = ctx.tables.overwrite_partitions("syndicates", syndicates, days, job="score",
                                            model_version=meta["version"])
    written = ctx.tables.overwrite_partitions("creator_scores", scores, days, job="score",
                                              model_version=meta["version"])
    # the rows written come from the commits, the tiers from the cached scores: no re-read
    summary["creator_scores"] = written.rows_written
    summary["high_or_critical"] = scored.filter(F.col("risk_tier").isin("high", "critical")).count()
    summary["syndicates"] = rings.rows_written
    for frame in cached:
        frame.unpersist()
    log.info("score: wrote %s..%s in %.1f s", days[0], days[-1], time.monotonic() - start)
    summary["seconds"] = round(time.monotonic() - start, 1)
    return summary


def report(days: list[dt.date], s: dict) -> str:
    return (f"score: {len(days)} day(s) {days[0]}..{days[-1]} with {s['model_version']}: {s['creator_scores']} "
            f"accounts scored ({s['high_or_critical']} high/critical), {s['syndicates']} syndicates in "
            f"{s['seconds']} s")


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("score").main(argv)
