"""Reports and moderation decisions: labels as in real life, partial (a share reviewed, mostly after reports)
and noisy (reviewers are right with a configurable accuracy), with automatic removals of spam bursts.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from creator_governance.simulator import experiment, rng
from creator_governance.simulator.abuse import spam_bursts
from creator_governance.simulator.behaviour import contract_select
from creator_governance.simulator.population import PATTERNS
from creator_governance.simulator.world import World

REASONS = ("spam", "harassment", "scam", "fake_engagement", "impersonation", "other")
PATTERN_REASON = {"spam": "spam", "matrix": "impersonation", "farm_ring": "fake_engagement",
                  "boosted_creator": "fake_engagement", "fake_seller": "scam", "fake_buyer": "scam"}
PATTERN_POLICY = {"spam": "spam", "matrix": "inauthentic_behavior", "farm_ring": "fake_engagement",
                  "boosted_creator": "fake_engagement", "fake_seller": "commerce_fraud", "fake_buyer": "commerce_fraud"}
POLICIES = ("spam", "inauthentic_behavior", "fake_engagement", "commerce_fraud")


def _by_pattern(w: World, mapping: dict[str, object], otherwise: Column) -> Column:
    v, day = F.col("v"), F.col("day")
    expr = None
    for name in PATTERNS:
        cond, value = w.layout[name].contains(v), F.lit(mapping[name])
        expr = F.when(cond, value) if expr is None else expr.when(cond, value)
    return expr.otherwise(otherwise)


def build_reports(w: World) -> DataFrame:
    """Report rows with the target's `v` and the report's epoch second (`epoch`) kept for the decisions."""
    v, day = F.col("v"), F.col("day")
    rates = w.s.labels.report_rates
    rate = _by_pattern(w, {p: getattr(rates, p) for p in PATTERNS}, F.lit(rates.normal))
    rate = rate * experiment.report_multiplier(w, v, day)  # the planted A/B effect, before the draw
    honest_reason = rng.pick(w.u("reason_pick", v, day), REASONS)
    reason = F.when(w.u("reason_noise", v, day) < 0.8, _by_pattern(w, PATTERN_REASON, honest_reason)) \
        .otherwise(honest_reason)
    sec = rng.below(w.u("report_sec", v, day), 86400)
    reported = w.grid(*w.layout.blocks).filter(w.after_creation(v, day) & (w.u("reported", v, day) < rate))
    return reported.select(
        F.format_string("r%07d%03d", w.pop.account_num(v), day).alias("report_id"),
        w.pop.ts(day, sec).alias("ts"),
        w.pop.account_id(rng.below(w.u("reporter", v, day), w.s.accounts)).alias("reporter_id"),
        w.pop.account_id(v).alias("target_id"),
        F.lit(None).cast("string").alias("content_id"),
        reason.alias("reason"),
        day, v, (F.lit(w.pop.start_epoch) + day.cast("long") * 86400 + sec).alias("epoch"),
    )


def _verdict(w: World, tag: str) -> Column:
    """A human reviewer's outcome: right with the configured accuracy on bad and on good accounts."""
    v, day = F.col("v"), F.col("day")
    c = w.s.labels
    accuracy = F.when(w.pop.is_bad(v), F.lit(c.accuracy_on_bad)).otherwise(F.lit(c.accuracy_on_good))
    right = w.u("verdict", v, F.lit(tag)) < accuracy
    truth_violation = w.pop.is_bad(v)
    return F.when(right == truth_violation, "violation").otherwise("no_violation")


def _policy(w: World, decision_day: Column) -> Column:
    v, day = F.col("v"), F.col("day")
    organic = rng.pick(w.u("policy_pick", v), POLICIES)
    base = _by_pattern(w, PATTERN_POLICY, organic)
    return F.when(w.fx.enforced(decision_day), F.lit(w.s.incidents.enforcement_intervention.policy)).otherwise(base)


def _decision(w: World, df: DataFrame, decision_id: Column, epoch: Column, outcome: Column, source: str,
              content_id: Column | None = None) -> DataFrame:
    v, day = F.col("v"), F.col("day")
    df = df.withColumn("epoch", epoch).withColumn(
        "day", F.floor((F.col("epoch") - F.lit(w.pop.start_epoch)) / 86400).cast("int"))
    return contract_select(df.filter(F.col("day") < F.lit(w.s.days)).select(
        decision_id.alias("decision_id"),
        F.timestamp_seconds(F.col("epoch")).alias("ts"),
        w.pop.account_id(v).alias("target_id"),
        _policy(w, F.col("day")).alias("policy"),  # the policy in force on the decision's day
        outcome.alias("outcome"),
        (content_id if content_id is not None else F.lit(None).cast("string")).alias("content_id"),
        F.lit(source).alias("source"),
        "day",
    ), "decisions")


def build_decisions(w: World, reports: DataFrame) -> DataFrame:
    """Report-driven reviews, a few proactive reviews, and automatic removals of spam bursts."""
    v, day = F.col("v"), F.col("day")
    c, fx = w.s.labels, w.fx
    delay = rng.between(w.u("review_delay", v), 3600, c.review_delay_hours_max * 3600)
    # The only shuffle: as many partitions as the report grid has tasks (1 for a small simulation), not the
    # session's spark.sql.shuffle.partitions (200 by default on a cluster).
    first = reports.repartition(w.partitions(w.s.accounts * w.s.days), "v").groupBy("v").agg(F.min("epoch").alias("first"), F.count(F.lit(1)).alias("n"),
                                     F.min("day").alias("first_day"))
    p = F.least(F.lit(c.review_after_report) * fx.review_multiplier(F.col("first_day")), F.lit(1.0))
    reviewed = first.filter(w.u("review", v) < 1 - F.pow(1 - p, F.col("n")))
    after_report = _decision(w, reviewed, F.format_string("dr%07d", w.pop.account_num(v)), F.col("first") + delay,
                             _verdict(w, "report"), "human")

    top = fx.review_multiplier(F.lit(w.s.days)) if fx.enforce_on else F.lit(1.0)
    pick_day = rng.below(w.u("proactive_day", v), w.s.days)
    proactive = (w.accounts_range()
                 .filter(w.u("proactive", v) < F.lit(c.proactive_review_share) * top)
                 .withColumn("pday", pick_day)
                 .filter(w.after_creation(v, F.col("pday"))
                         & (w.u("proactive_keep", v) * top < fx.review_multiplier(F.col("pday")))))
    epoch = F.lit(w.pop.start_epoch) + F.col("pday").cast("long") * 86400 + rng.below(w.u("proactive_sec", v), 86400)
    proactive = _decision(w, proactive, F.format_string("dp%07d", w.pop.account_num(v)), epoch,
                          _verdict(w, "proactive"), "human")

    window = w.s.abuse.spam.burst_window_minutes * 60
    caught = spam_bursts(w).filter(
        w.u("auto_catch", v, day) < F.lit(c.auto_catch_rate) * fx.auto_multiplier(day)) \
        .withColumn("first_item", F.format_string("c%07d%03ds00", w.pop.account_num(v), day)) \
        .withColumn("did", F.format_string("da%07d%03d", w.pop.account_num(v), day))
    epoch = F.lit(w.pop.start_epoch) + day.cast("long") * 86400 + F.col("burst_sec") + window \
        + rng.below(w.u("auto_sec", v, day), 3600)
    auto = _decision(w, caught, F.col("did"), epoch,
                     F.lit("violation"), "auto", F.col("first_item"))
    return after_report.unionAll(proactive).unionAll(auto)
