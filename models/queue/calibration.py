"""The queue's priority as a calibrated probability: the combined evidence (noisy-OR of the signals, which counts
dependent evidence more than once and so is over-confident) mapped to the rate at which reviews of accounts
with that evidence confirm a violation, learned on the review sample of earlier days.

The review sample (`review_sample`, drawn daily by `govern strategies`, each row with its exact inclusion
probability) is the one set of accounts drawn independently of the queue; weighting each sampled account by
1 / inclusion_prob (inverse-probability weighting) makes it stand for every account of its day. For each earlier
day d whose outcome window has closed (d + horizon <= today), an account of d's queue drawn by d's sample is
labelled by its review: confirmed when a violation decision on it is dated up to d + horizon, cleared when its
decisions by then are all `no_violation`, and left out while it has none (as the strategies' IPW precision does:
the sample is what reviewers are given, its unreviewed rows are not yet labelled). So the priority is the
probability that a review confirms a violation. The map from combined evidence to probability is a histogram
calibrator made monotone: quantile bins of the sampled evidence, the IPW confirmed
rate of each bin shrunk toward the overall rate, then pooled adjacent violators so that more evidence never means
a lower probability. Ranking is unchanged within a bin (the queue breaks ties by the combined evidence).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def calibration_sample(queue: DataFrame, sample: DataFrame, decisions: DataFrame, *, horizon_days: int,
                       today: dt.date) -> DataFrame:
    """ds, evidence, confirmed (0/1), weight for the account rows of earlier queues (ds, entity_kind, entity_id,
    combined_evidence) drawn by that day's review sample (ds, account_id, inclusion_prob) and reviewed by
    ds + horizon_days (a decision (target_id, ts, outcome) dated up to then), for the days whose outcome window
    has closed by `today`; confirmed: one of those decisions is a violation."""
    closed = F.date_add(F.col("q.ds"), horizon_days) <= F.lit(today)
    day = F.to_date("ts")
    violations = (decisions.filter(day <= F.lit(today)).groupBy(F.col("target_id").alias("account_id"))
                  .agg(F.min(day).alias("first_decision"),
                       F.min(F.when(F.col("outcome") == "violation", day)).alias("first_violation")))
    drawn = (queue.filter(F.col("entity_kind") == "account").alias("q")
             .join(sample.alias("s"), (F.col("q.entity_id") == F.col("s.account_id")) & (F.col("q.ds") == F.col("s.ds")))
             .filter(closed)
             .select(F.col("q.ds").alias("ds"), F.col("q.entity_id").alias("account_id"),
                     F.col("q.combined_evidence").alias("evidence"), (1.0 / F.col("s.inclusion_prob")).alias("weight")))
    by = F.date_add(F.col("ds"), horizon_days)
    confirmed = F.coalesce(F.col("first_violation") <= by, F.lit(False))
    return (drawn.join(violations, "account_id").filter(F.col("first_decision") <= by)
            .select("ds", "evidence", confirmed.cast("int").alias("confirmed"), "weight"))


def _pool_adjacent_violators(rates: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence closest to `rates` in weighted least squares."""
    blocks: list[list[float]] = []  # [rate, weight, bins]
    for rate, weight in zip(rates, weights):
        blocks.append([rate, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            r2, w2, n2 = blocks.pop()
            r1, w1, n1 = blocks.pop()
            blocks.append([(r1 * w1 + r2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return [rate for rate, _, n in blocks for _ in range(n)]


def fit_calibration(evidence, confirmed, weight, *, bins: int, prior_strength: float) -> list[tuple[float, float]]:
    """Steps (upper evidence edge of a bin, probability) of the monotone map, from sampled accounts' evidence,
    0/1 outcome and IPW weight. A bin's rate is its weighted confirmed share shrunk toward the overall one with
    `prior_strength` pseudo-accounts of the bin's mean weight; the last edge is +inf."""
    x, y, w = (np.asarray(v, dtype=float) for v in (evidence, confirmed, weight))
    if not len(x):
        return []
    overall = float(np.average(y, weights=w))
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1]))
    which = np.searchsorted(edges, x, side="left")  # bin i holds edges[i-1] < x <= edges[i]
    uppers, rates, weights = [], [], []
    for i in range(len(edges) + 1):
        inside = which == i
        if not inside.any():
            continue
        mean_w = float(w[inside].mean())
        uppers.append(float(edges[i]) if i < len(edges) else float("inf"))
        rates.append((float((w[inside] * y[inside]).sum()) + prior_strength * mean_w * overall)
                     / (float(w[inside].sum()) + prior_strength * mean_w))
        weights.append(float(w[inside].sum()))
    uppers[-1] = float("inf")
    return list(zip(uppers, _pool_adjacent_violators(rates, weights)))


def calibrated(evidence: Column, steps: list[tuple[float, float]]) -> Column:
    """The probability of `evidence` under the steps of `fit_calibration`."""
    out = F.lit(steps[-1][1])
    for upper, probability in reversed(steps[:-1]):
        out = F.when(evidence <= F.lit(upper), F.lit(probability)).otherwise(out)
    return out
