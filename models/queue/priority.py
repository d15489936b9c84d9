"""One review queue from every signal: the supervised score, the anomaly score, syndicate evidence and strategy
hits, each turned into a probability of violation with the platform's own labels, then combined.

Evidence of an account on day ds (each a probability of a confirmed violation):
- `model`: creator_scores.score, already a calibrated probability;
- `anomaly`: the confirmed-violation rate (any violation decision up to ds) of the accounts in the account's
  anomaly-score bin (quantile bins of that day; an unreviewed account counts as not confirmed, a lower bound),
  shrunk toward the rate of all accounts with `prior_strength` pseudo-accounts: P(confirmed | anomaly bin);
- `ring`: for a syndicate member tied to its ring by behaviour (shared content fingerprint, repeat orders,
  lockstep), the confirmed share of its syndicate's *other* reviewed such members, shrunk toward the confirmed
  share of every reviewed such member: a ring with a confirmed violator makes each member likely. A member tied
  by shared device or IP alone (a household or office that shares the ring's means, not its behaviour), or by a
  fingerprint with fewer than `queue.min_shared_items` shared items (one re-post of an item the ring also posted),
  is a weak tie: judged by the reviewed weakly-tied members of every ring instead, shrunk toward the rate of all
  accounts;
- `hits`: for an account hit by strategies in the last `hit_days`, the best precision among them: confirmed
  violations over reviewed targets of that strategy's earlier hits, shrunk toward the precision of every
  strategy;
- `audience`: for a creator outside every syndicate (or weakly tied to one) whose received engagements come
  mostly from syndicate members (an audience bought from rings: the creators a farm boosts), the confirmed share
  of the other reviewed such creators, shrunk toward the confirmed share of every reviewed syndicate member.

combined_evidence = 1 - prod(1 - p) over the evidence (noisy-OR: independent ways of being caught); each piece of
evidence is also written in plain words. The priority is the combined evidence, or with `queue.calibrate` the
combined evidence calibrated on the review samples of earlier days (models/queue/calibration.py, `with_calibration`).
Syndicate rows (entity_kind `syndicate`) carry the highest member priority with the ring's evidence, so the ring is
reviewed together. Only what the platform has is read (decisions, scores, syndicates, strategy hits): never the
simulator's truth.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from creator_governance.catalog import columns, schema
from creator_governance.models.queue.calibration import calibrated
from creator_governance.models.syndicates.discover import BEHAVIOUR_TIES

QUEUE_COLUMNS = columns("risk_queue")
QUEUE_SCHEMA = schema("risk_queue")
AUDIENCE_SCHEMA = ("account_id string, audience_probability double, audience_share double, "
                   "audience_engagements long, audience_confirmed long, audience_reviewed long")


def day_frame(spark, days) -> DataFrame:
    """One row per day: ds."""
    return spark.createDataFrame([(d,) for d in sorted(set(days))], "ds date")


def reviewed_accounts(decisions: DataFrame, *, days: list[dt.date]) -> DataFrame:
    """ds, account_id, violation (1 when any violation decision), for each of `days` the accounts with a decision
    dated up to that day."""
    per_day = decisions.groupBy(F.col("target_id").alias("account_id"), F.to_date("ts").alias("decided")).agg(
        F.max((F.col("outcome") == "violation").cast("int")).alias("violation"))
    known = per_day.join(F.broadcast(day_frame(decisions.sparkSession, days)), F.col("decided") <= F.col("ds"))
    return known.groupBy("ds", "account_id").agg(F.max("violation").alias("violation"))


def _shrunk(hits, total, prior, strength: float):
    return (hits + F.lit(strength) * prior) / (total + F.lit(strength))


def anomaly_probability(scores: DataFrame, reviewed: DataFrame, *, bins: int, prior_strength: float) -> DataFrame:
    """ds, account_id, anomaly_probability: the confirmed-violation rate of the account's anomaly-score bin that
    day."""
    # accounts of equal score split by id at a bin's edge: the same bins whatever the order rows arrive in
    binned = scores.select("ds", "account_id", F.ntile(bins).over(
        Window.partitionBy("ds").orderBy(F.col("anomaly_score").asc_nulls_first(), "account_id")).alias("bin"))
    labelled = binned.join(reviewed, ["ds", "account_id"], "left")
    # every account of the bin counts: reviews follow reports, so the reviewed accounts of a bin are mostly its
    # bad ones; an unreviewed account counts as not confirmed (a lower bound, like the model's own labels)
    per_bin = labelled.groupBy("ds", "bin").agg(F.sum(F.coalesce("violation", F.lit(0))).alias("v"),
                                                F.count(F.lit(1)).alias("n")).collect()  # `bins` rows a day
    totals: dict[dt.date, list[int]] = {}
    for r in per_bin:
        day = totals.setdefault(r["ds"], [0, 0])
        day[0] += r["v"]
        day[1] += r["n"]
    prior = {ds: v / max(n, 1) for ds, (v, n) in totals.items()}
    rates = scores.sparkSession.createDataFrame(
        [(r["ds"], r["bin"], (r["v"] + prior_strength * prior[r["ds"]]) / (r["n"] + prior_strength))
         for r in per_bin], "ds date, bin int, anomaly_probability double")
    return binned.join(F.broadcast(rates), ["ds", "bin"]).select("ds", "account_id", "anomaly_probability")


def _links(scores: DataFrame):
    """The members' ties, or null for scores written before `syndicate_links` existed."""
    return F.col("syndicate_links") if "syndicate_links" in scores.columns else F.lit(None).cast("array<string>")


# creator_features columns that count a member's shared items (`shared_items`).
SHARED_ITEM_COLUMNS = ("posts_28d", "dup_cross_share_28d", "hub_fingerprints_28d")


def shared_items():
    """Items the account posted in 28 days whose fingerprint other accounts also posted, less the viral ones
    (fingerprints past the hub cap link nobody): from creator_features' SHARED_ITEM_COLUMNS."""
    posted = F.round(F.col("posts_28d") * F.col("dup_cross_share_28d"))
    return F.greatest(F.coalesce(posted - F.coalesce(F.col("hub_fingerprints_28d"), F.lit(0)), F.lit(0.0)),
                      F.lit(0.0)).cast("long")


def strong_ties(scores: DataFrame, features: DataFrame, *, min_shared_items: int) -> DataFrame:
    """`scores` whose members' `syndicate_links` keep a fingerprint tie only when the member shared at least
    `min_shared_items` items with other accounts (`shared_items` of `features`: ds, account_id and
    SHARED_ITEM_COLUMNS). A creator who re-posted one item a ring also posted is tied to it by that item alone, like
    a household by its device: judged as a weak tie (`ring_probability`), not by the ring's confirmations. Members
    without features keep their ties."""
    counts = features.select("ds", "account_id", shared_items().alias("shared_items"))
    weak = F.col("shared_items") < F.lit(min_shared_items)
    links = F.when(F.col("syndicate_links").isNotNull() & weak,
                   F.array_remove(F.col("syndicate_links"), "fingerprint")).otherwise(F.col("syndicate_links"))
    return (scores.join(counts, ["ds", "account_id"], "left")
            .withColumn("syndicate_links", links).select(*scores.columns))


def behaviour_tied(links="syndicate_links"):
    """True for a member tied to its ring by behaviour (fingerprint, repeat orders, lockstep) — or whose ties are
    unknown (rows written before `syndicate_links`); false for one tied by shared device or IP alone. `links`: a
    column or its name."""
    links = F.col(links) if isinstance(links, str) else links
    return F.coalesce(F.arrays_overlap(links, F.array(*[F.lit(k) for k in BEHAVIOUR_TIES])), F.lit(True))


def priors(scores: DataFrame, reviewed: DataFrame) -> dict[dt.date, dict[str, float]]:
    """Per day, the pooled rates the evidence is shrunk toward, in one pass over the days' accounts: `accounts`
    (confirmed violators among all accounts, unreviewed counting as not confirmed) and `members` (confirmed share
    of the reviewed syndicate members tied by behaviour)."""
    links = _links(scores)
    rows = scores.select("ds", "account_id", "syndicate_id", links.alias("syndicate_links")).join(
        reviewed, ["ds", "account_id"], "left")
    member, tied = F.col("syndicate_id").isNotNull(), behaviour_tied()
    reviewed_as = lambda cond: F.sum((cond & F.col("violation").isNotNull()).cast("int"))  # noqa: E731
    confirmed_as = lambda cond: F.sum(F.when(cond, F.coalesce("violation", F.lit(0))).otherwise(0))  # noqa: E731
    out = rows.groupBy("ds").agg(F.count(F.lit(1)).alias("n"), F.sum(F.coalesce("violation", F.lit(0))).alias("v"),
                                 reviewed_as(member & tied).alias("mn"), confirmed_as(member & tied).alias("mv"))
    return {r["ds"]: {"accounts": (r["v"] or 0) / max(r["n"] or 0, 1),
                      "members": (r["mv"] or 0) / r["mn"] if r["mn"] else 0.0} for r in out.collect()}


def _prior_frame(spark, pooled: dict[dt.date, dict[str, float]]) -> DataFrame:
    """ds, prior_accounts, prior_members: `priors` as a frame to join."""
    return spark.createDataFrame([(ds, p["accounts"], p["members"]) for ds, p in sorted(pooled.items())],
                                 "ds date, prior_accounts double, prior_members double")


def ring_probability(scores: DataFrame, reviewed: DataFrame, *, prior_strength: float,
                     pooled: dict[dt.date, dict[str, float]] | None = None) -> DataFrame:
    """ds, account_id, ring_probability, ring_confirmed, ring_reviewed, ring_size, ring_tie for syndicate members.

    A member tied to its ring by behaviour (`ring_tie` = `behaviour`) gets the confirmed share of the other
    reviewed behaviour-tied members of its syndicate (leave-one-out), shrunk toward `members`: a ring with a
    confirmed violator makes each such member likely. A member tied by shared device or IP alone (`ring_tie` =
    `weak`: a household or an office sharing the ring's means, not its behaviour; after `strong_ties`, also one
    tied by a single shared item) does not inherit its ring's confirmations: it gets the confirmed share of the
    other reviewed weakly-tied members of every ring, shrunk toward `accounts` (without reviews of such members,
    they are as likely as anyone).
    `pooled`: `priors(scores, reviewed)` (computed when not given)."""
    pooled = pooled or priors(scores, reviewed)
    links = _links(scores)
    members = scores.filter(F.col("syndicate_id").isNotNull()).select(
        "ds", "account_id", "syndicate_id", links.alias("syndicate_links"))
    labelled = members.join(reviewed, ["ds", "account_id"], "left").withColumn("tied", behaviour_tied())
    own_v = F.coalesce(F.col("violation"), F.lit(0))
    own_n = F.col("violation").isNotNull().cast("int")
    # behaviour ties are judged per ring, weak ones over every ring (one group; `|` never starts a syndicate id)
    labelled = labelled.withColumn("group", F.when(F.col("tied"), F.col("syndicate_id")).otherwise(F.lit("|infra")))
    per_group = labelled.groupBy("ds", "group").agg(F.sum(own_v).alias("group_v"), F.sum(own_n).alias("group_n"))
    sizes = labelled.groupBy("ds", "syndicate_id").agg(F.count(F.lit(1)).alias("ring_size"))
    out = (labelled.join(per_group, ["ds", "group"]).join(sizes, ["ds", "syndicate_id"])
           .join(F.broadcast(_prior_frame(scores.sparkSession, pooled)), "ds"))
    confirmed, reviewed_n = F.col("group_v") - own_v, F.col("group_n") - own_n
    prior = F.when(F.col("tied"), F.col("prior_members")).otherwise(F.col("prior_accounts"))
    return out.select("ds", "account_id",
                      _shrunk(confirmed, reviewed_n, prior, prior_strength).alias("ring_probability"),
                      confirmed.alias("ring_confirmed"), reviewed_n.alias("ring_reviewed"), "ring_size",
                      F.when(F.col("tied"), F.lit("behaviour")).otherwise(F.lit("weak")).alias("ring_tie"))


def audience_probability(engagements: DataFrame, content: DataFrame, scores: DataFrame, reviewed: DataFrame, *,
                         window_days: int, min_engagements: int, min_share: float, prior_strength: float,
                         pooled: dict[dt.date, dict[str, float]] | None = None) -> DataFrame:
    """AUDIENCE_SCHEMA rows (with ds) for each day's creators outside every syndicate (or weakly tied to one, see
    `ring_probability`) whose engagements received in
    the `window_days` days ending that day (`engagements`: ds, actor_id, content_id; `content`: ds, content_id,
    creator_id, the content created up to the day counting) number at least `min_engagements` and come at least
    `min_share` from syndicate members — an audience bought from rings. audience_probability: the confirmed share of
    the other reviewed such creators of the day (leave-one-out), shrunk toward the confirmed share of every reviewed
    syndicate member tied by behaviour (a boosted creator is as likely a violator as the ring that boosts it, until
    reviews say otherwise). `pooled`: `priors(scores, reviewed)` (computed when not given)."""
    spark = scores.sparkSession
    pooled = pooled or priors(scores, reviewed)
    judged = day_frame(spark, list(pooled)).withColumnRenamed("ds", "day")
    window = engagements.select(F.col("ds").alias("engaged"), "actor_id", "content_id").join(
        F.broadcast(judged), F.col("engaged").between(F.date_sub(F.col("day"), window_days - 1), F.col("day")))
    created = content.select(F.col("ds").alias("created"), "content_id", F.col("creator_id").alias("account_id"))
    members = scores.filter(F.col("syndicate_id").isNotNull()).select(
        F.col("ds").alias("day"), F.col("account_id").alias("actor_id"), "syndicate_id")
    received = (window.join(created, "content_id").filter(F.col("created") <= F.col("day"))
                .join(members, ["day", "actor_id"], "left")
                .groupBy(F.col("day").alias("ds"), "account_id")
                .agg(F.count(F.lit(1)).alias("audience_engagements"), F.count("syndicate_id").alias("from_rings")))
    # outside every ring, or in one by a weak tie only (a boosted creator that re-posted one of the ring's items)
    outside = scores.filter(F.col("syndicate_id").isNull() | ~behaviour_tied(_links(scores))).select(
        "ds", "account_id")
    bought = (received.join(outside, ["ds", "account_id"])
              .filter((F.col("audience_engagements") >= F.lit(min_engagements))
                      & (F.col("from_rings") >= F.lit(min_share) * F.col("audience_engagements")))
              .join(reviewed, ["ds", "account_id"], "left"))
    totals = {r["ds"]: (r["v"] or 0, r["n"] or 0) for r in bought.groupBy("ds").agg(
        F.sum(F.coalesce("violation", F.lit(0))).alias("v"), F.count("violation").alias("n")).collect()}
    per_day = spark.createDataFrame(
        [(ds, v, n, pooled[ds]["members"]) for ds, (v, n) in sorted(totals.items())],
        "ds date, total_v long, total_n long, prior double")
    own_v = F.coalesce(F.col("violation"), F.lit(0))
    own_n = F.col("violation").isNotNull().cast("int")
    confirmed, reviewed_n = F.col("total_v") - own_v, F.col("total_n") - own_n
    return bought.join(F.broadcast(per_day), "ds").select(
        "ds", "account_id",
        _shrunk(confirmed, reviewed_n, F.col("prior"), prior_strength).alias("audience_probability"),
        (F.col("from_rings") / F.col("audience_engagements")).alias("audience_share"), "audience_engagements",
        confirmed.cast("long").alias("audience_confirmed"), reviewed_n.cast("long").alias("audience_reviewed"))


def hit_probability(hits: DataFrame, decisions: DataFrame, *, days: list[dt.date], hit_days: int, horizon_days: int,
                    prior_strength: float) -> DataFrame:
    """ds, account_id, hit_probability, hit_strategies for each of `days`: the best shrunk precision of the
    strategies that hit the account in the last `hit_days` (precision of a strategy on a day: its hits of the
    `hit_days + horizon_days` days up to it whose target had a decision within `horizon_days` after the hit and by
    the day, confirmed violations over decided)."""
    spark = hits.sparkSession
    judged_days = F.broadcast(day_frame(spark, days).withColumnRenamed("ds", "day"))
    accounts = hits.filter(F.col("target_type") == "account").select("ds", "strategy_id", "target_id")
    known = accounts.join(judged_days, F.col("ds").between(F.date_sub(F.col("day"), hit_days + horizon_days),
                                                           F.col("day")))
    outcomes = decisions.select(F.col("target_id").alias("o_target"), F.to_date("ts").alias("o_day"),
                                (F.col("outcome") == "violation").cast("int").alias("v"))
    judged = (known.join(outcomes, (F.col("target_id") == F.col("o_target")) & (F.col("o_day") <= F.col("day"))
                         & (F.col("o_day") >= F.col("ds")) & (F.col("o_day") <= F.date_add(F.col("ds"), horizon_days)))
              .groupBy("day", "strategy_id", "target_id", "ds").agg(F.max("v").alias("v")))
    totals = judged.groupBy("day", "strategy_id").agg(F.sum("v").alias("v"), F.count(F.lit(1)).alias("n"))
    pooled = {r["day"]: r["p"] or 0.0 for r in totals.groupBy("day").agg(
        (F.sum("v") / F.sum("n")).alias("p")).collect()}
    pooled_frame = F.broadcast(spark.createDataFrame([(d, pooled.get(d, 0.0)) for d in sorted(set(days))],
                                                     "day date, pooled double"))
    precision = totals.join(pooled_frame, "day").select(
        "day", "strategy_id", _shrunk(F.col("v"), F.col("n"), F.col("pooled"), prior_strength).alias("precision"))
    recent = known.filter(F.col("ds") >= F.date_sub(F.col("day"), hit_days - 1))
    per_account = (recent.select("day", F.col("target_id").alias("account_id"), "strategy_id").distinct()
                   .join(precision, ["day", "strategy_id"], "left").join(pooled_frame, "day")
                   .withColumn("precision", F.coalesce("precision", "pooled")))
    return per_account.groupBy(F.col("day").alias("ds"), "account_id").agg(
        F.max("precision").alias("hit_probability"),
        F.array_sort(F.collect_set("strategy_id")).alias("hit_strategies"))


def _pct(column: str):
    return F.format_number(F.col(column) * 100, 0)


def weak_tie_words(min_shared_items: int) -> str:
    """How the evidence names a weak tie, given the `strong_ties` bar it was judged with."""
    if min_shared_items <= 1:
        return "shared device or IP"
    if min_shared_items == 2:
        return "shared device or IP or one shared item"
    return f"shared device or IP or fewer than {min_shared_items} shared items"


def account_queue(scores: DataFrame, anomaly: DataFrame, ring: DataFrame, hit: DataFrame, *,
                  actions: dict[str, float], min_shared_items: int,
                  audience: DataFrame | None = None) -> DataFrame:
    """Account rows of the queue (QUEUE_COLUMNS without rank) from scores (ds, account_id, score, syndicate_id)
    and the evidence frames (keyed by ds, account_id); `actions`: suggested action -> lowest priority (highest
    first); `min_shared_items`: the `strong_ties` bar, for the words of a weak tie."""
    if audience is None:
        audience = scores.sparkSession.createDataFrame([], "ds date, " + AUDIENCE_SCHEMA)
    key = ["ds", "account_id"]
    joined = (scores.select("ds", "account_id", "score", "syndicate_id").join(anomaly, key, "left")
              .join(ring, key, "left").join(hit, key, "left").join(audience, key, "left"))
    parts = ["score", "anomaly_probability", "ring_probability", "hit_probability", "audience_probability"]
    none_of = F.lit(1.0)
    for column in parts:
        none_of = none_of * (F.lit(1.0) - F.coalesce(F.col(column), F.lit(0.0)))
    evidence = F.concat_ws("; ", *[
        F.concat(F.lit("model "), _pct("score"), F.lit("%")),
        F.when(F.col("anomaly_probability").isNotNull(),
               F.concat(F.lit("anomaly "), _pct("anomaly_probability"), F.lit("%"))),
        F.when(F.col("ring_probability").isNotNull() & F.col("ring_tie").eqNullSafe("weak"),
               F.concat(F.lit("syndicate "), F.col("syndicate_id"), F.lit(" of "), F.col("ring_size"),
                        F.lit(f" accounts, tied only by {weak_tie_words(min_shared_items)}: "),
                        F.col("ring_confirmed"), F.lit(" of "), F.col("ring_reviewed"),
                        F.lit(" other such members of any ring reviewed confirmed ("),
                        _pct("ring_probability"), F.lit("%)")))
        .when(F.col("ring_probability").isNotNull(),
              F.concat(F.lit("syndicate "), F.col("syndicate_id"), F.lit(" of "), F.col("ring_size"),
                       F.lit(" accounts, "), F.col("ring_confirmed"), F.lit(" of "), F.col("ring_reviewed"),
                       F.lit(" other reviewed members confirmed ("), _pct("ring_probability"), F.lit("%)"))),
        F.when(F.col("hit_probability").isNotNull(),
               F.concat(F.lit("hit by "), F.array_join("hit_strategies", ", "), F.lit(" ("),
                        _pct("hit_probability"), F.lit("% of their reviewed hits confirmed)"))),
        F.when(F.col("audience_probability").isNotNull(),
               F.concat(F.lit("audience from syndicates: "), _pct("audience_share"), F.lit("% of its "),
                        F.col("audience_engagements"), F.lit(" engagements; "), F.col("audience_confirmed"),
                        F.lit(" of "), F.col("audience_reviewed"), F.lit(" other such creators reviewed confirmed ("),
                        _pct("audience_probability"), F.lit("%)")))])
    combined = F.lit(1.0) - none_of
    return joined.select(
        "ds", F.lit("account").alias("entity_kind"), F.col("account_id").alias("entity_id"),
        combined.alias("priority"),
        evidence.alias("evidence"), suggested_action(combined, actions).alias("suggested_action"),
        F.col("score").alias("model_probability"), "anomaly_probability", "ring_probability", "hit_probability",
        "syndicate_id", F.lit(None).cast("array<string>").alias("members"), "audience_probability",
        combined.alias("combined_evidence"), F.lit(False).alias("calibrated"))


def suggested_action(priority, actions: dict[str, float]):
    """The highest of `actions` (suggested action -> lowest priority) that `priority` reaches; `monitor` below."""
    action = F.lit("monitor")
    for name, floor in sorted(actions.items(), key=lambda kv: kv[1]):
        action = F.when(priority >= F.lit(floor), F.lit(name)).otherwise(action)
    return action


def with_calibration(accounts: DataFrame, steps: list[tuple[float, float]], actions: dict[str, float]) -> DataFrame:
    """Account rows whose priority is their combined evidence calibrated by `steps` (models/queue/calibration.py),
    the suggested action following it; unchanged when there are no steps."""
    if not steps:
        return accounts
    priority = calibrated(F.col("combined_evidence"), steps)
    return (accounts.withColumn("priority", priority)
            .withColumn("suggested_action", suggested_action(F.col("priority"), actions))
            .withColumn("calibrated", F.lit(True)))


def syndicate_queue(accounts: DataFrame, syndicates: DataFrame) -> DataFrame:
    """One row per syndicate: the highest member priority, its members and shared signals in words, and
    `review the ring together`."""
    top = accounts.filter(F.col("syndicate_id").isNotNull()).groupBy("ds", "syndicate_id").agg(
        F.max("priority").alias("priority"), F.max("ring_probability").alias("ring_probability"),
        F.avg("model_probability").alias("model_probability"), F.max("combined_evidence").alias("combined_evidence"),
        F.max("calibrated").alias("calibrated"))
    rings = syndicates.select("ds", "syndicate_id", "size", "members", "shared_signals").join(top,
                                                                                            ["ds", "syndicate_id"])
    evidence = F.concat(F.lit("ring of "), F.col("size"), F.lit(" accounts sharing "),
                        F.array_join(F.slice("shared_signals", 1, 3), ", "), F.lit("; highest member priority "),
                        _pct("priority"), F.lit("%"))
    return rings.select(
        "ds", F.lit("syndicate").alias("entity_kind"), F.col("syndicate_id").alias("entity_id"), "priority",
        evidence.alias("evidence"), F.lit("review the ring together").alias("suggested_action"),
        "model_probability", F.lit(None).cast("double").alias("anomaly_probability"), "ring_probability",
        F.lit(None).cast("double").alias("hit_probability"), "syndicate_id", "members",
        F.lit(None).cast("double").alias("audience_probability"), "combined_evidence", "calibrated")


def ranked(queue: DataFrame) -> DataFrame:
    """The queue with each day's `rank` (1 = review first) over accounts and syndicates together."""
    order = Window.partitionBy("ds").orderBy(F.col("priority").desc(), F.col("combined_evidence").desc(),
                                             F.col("entity_kind"), F.col("entity_id"))
    return queue.withColumn("rank", F.row_number().over(order)).select(*QUEUE_COLUMNS)
