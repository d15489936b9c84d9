"""Syndicates: accounts linked by the graph (shared device, IP, fingerprint) or by lockstep engagement, split
by behaviour clusters, and described by what they share.

1. Linked groups: connected components over account ↔ graph component and account ↔ lockstep group edges
   (a lockstep group can join several graph components).
2. Behaviour clusters: k-means on standardised log1p behaviour features, fitted on the driver on a bounded
   sample (scikit-learn) and applied to every account as a column expression (nearest centre, no model to
   ship): a handful of Spark jobs instead of one per k-means iteration.
3. A (linked group, behaviour cluster) block holding at least `min_member_share` of its group and
   `min_size` accounts is a syndicate of its own; the rest of the group joins its largest block, so a
   camouflaged member that behaves differently stays with its ring.
4. Groups below `min_size` are not reported, nor groups that are neither scored as risky nor coordinated.
   Coordinated: lockstep engagement, or at least half of the members each hold both a behavioural link
   (shared content fingerprint, repeat orders) and a shared-infrastructure link (device, IP). Matrix accounts
   (same devices, same content) and fake-order rings (buyers on one IP feeding a seller) are caught whatever
   their mean score; an honest household (device and IP only), creators re-posting one popular item
   (fingerprint only), or households merged through one member's re-post are not.
   A coordinated group's suggested action is at least a review.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from creator_governance.features import sqltext
from creator_governance.features.graph import connected_components

MEMBERSHIP_COLUMNS = ["account_id", "ds", "syndicate_id", "syndicate_links"]
# Links that show coordinated behaviour (same content, repeat orders) and links that show shared means.
BEHAVIOUR_LINKS = ("fingerprint", "orders")
INFRASTRUCTURE_LINKS = ("device", "ip")
# A member holding one of these is tied to its ring by behaviour; one holding only infrastructure links (a
# household, an office behind one IP) is tied by shared means alone (`syndicate_links` says which).
BEHAVIOUR_TIES = (*BEHAVIOUR_LINKS, "lockstep")
# Share of members holding both kinds of link from which a group is coordinated.
COORDINATED_MEMBER_SHARE = 0.5
# Kind of an extra link, from the prefix of its link_key (`order_links` writes "o|<seller>").
EXTRA_LINK_KINDS = {"o": "orders"}
# shared_signals wording of link kinds (others: "shared <kind>").
LINK_WORDS = {"orders": "repeat orders between members"}
SYNDICATE_COLUMNS = ["ds", "syndicate_id", "size", "members", "shared_signals", "mean_score", "mean_anomaly_score",
                     "suggested_action"]


def order_links(orders: DataFrame, *, days: list[dt.date], lookback_days: int, min_orders: int) -> DataFrame:
    """account_id, ds, link_key for each of `days`: buyer and seller of a pair with at least `min_orders` orders
    created in the `lookback_days` ending on that day (a fake seller's buyer ring shares no device with the
    seller). One aggregation for all days: each order is counted on every day whose window holds it."""
    created = F.to_date("created_at")
    counted_on = F.filter(F.array(*[F.lit(d) for d in sorted(set(days))]),
                          lambda d: (created <= d) & (created > F.date_sub(d, lookback_days)))
    pairs = (orders.select("order_id", "buyer_id", "seller_id", F.explode(counted_on).alias("ds"))
             .groupBy("ds", "buyer_id", "seller_id")
             .agg(F.countDistinct("order_id").alias("n")).filter(F.col("n") >= min_orders))
    key = F.concat(F.lit("o|"), F.col("seller_id"))
    return (pairs.select(F.col("buyer_id").alias("account_id"), "ds", key.alias("link_key"))
            .unionByName(pairs.select(F.col("seller_id").alias("account_id"), "ds", key.alias("link_key")))
            .distinct())


def linked_groups(features: DataFrame, *, extra_links: DataFrame | None = None, max_iterations: int = 30) -> DataFrame:
    """account_id, ds_text, linked_group (smallest account id of the merged graph/lockstep component),
    link_kinds (the kinds of the account's own links: device, ip, fingerprint, lockstep, orders), for linked
    accounts only. Components are computed per ds (nodes carry the day). `extra_links` (account_id, ds,
    link_key) adds links of other kinds (e.g. `order_links`); only accounts present in `features` count."""
    day = F.col("ds").cast("string")
    account = F.concat(F.lit("a|"), day, F.lit("|"), F.col("account_id"))
    graph = (features.filter(F.col("graph_cluster_size") >= 2)
             .select(account.alias("src"), F.concat(F.lit("g|"), day, F.lit("|"), F.col("graph_cluster_id")).alias("dst"),
                     F.coalesce(F.col("graph_link_types"), F.array().cast("array<string>")).alias("kinds")))
    lockstep = (features.filter(F.col("lockstep_group_id").isNotNull())
                .select(account.alias("src"), F.concat(F.lit("l|"), day, F.lit("|"), F.col("lockstep_group_id")).alias("dst"),
                        F.array(F.lit("lockstep")).alias("kinds")))
    edges = graph.unionByName(lockstep)
    if extra_links is not None:
        known = features.select("account_id", "ds")
        extra = extra_links.join(known, on=["account_id", "ds"], how="inner")
        prefix = F.split(F.col("link_key"), r"\|", 2).getItem(0)
        kind = F.coalesce(F.element_at(F.create_map(*[F.lit(x) for kv in EXTRA_LINK_KINDS.items() for x in kv]),
                                       prefix), prefix)
        edges = edges.unionByName(extra.select(account.alias("src"),
                                               F.concat(F.lit("x|"), day, F.lit("|"), F.col("link_key")).alias("dst"),
                                               F.array(kind).alias("kinds")))
    kinds = edges.groupBy(F.col("src").alias("node")).agg(
        F.array_sort(F.array_distinct(F.flatten(F.collect_list("kinds")))).alias("link_kinds"))
    components = connected_components(edges.select("src", "dst"), max_iterations=max_iterations)
    parts = F.split(F.col("node"), r"\|", 3)
    return (components.filter(F.col("node").startswith("a|")).join(kinds, on="node", how="left")
            .select(F.element_at(parts, 3).alias("account_id"), F.element_at(parts, 2).alias("ds_text"),
                    F.element_at(F.split(F.col("component"), r"\|", 3), 3).alias("linked_group"),
                    F.coalesce(F.col("link_kinds"), F.array().cast("array<string>")).alias("link_kinds")))


def _log_features(columns: list[str]) -> list["F.Column"]:
    return [F.expr(f"{sqltext.log1p_nonnegative(c, missing=0.0)} AS {sqltext.name(c)}") for c in columns]


def fit_behaviour_clusters(sample, *, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, scale, centres) of k-means on a local matrix of log features (rows x columns): each column
    standardised by its sample mean and standard deviation (ddof 1); a constant column gets scale 0 (it
    separates nothing; `pyspark.ml.feature.StandardScaler` did the same). At most `k` centres (fewer when the
    sample has fewer distinct rows), k-means++ seeded with `seed`, 30 iterations at most. Rows holding a NaN are
    left out of the fit."""
    from sklearn.cluster import KMeans

    x = np.asarray(sample, dtype="float64")
    x = x[np.isfinite(x).all(axis=1)]  # a NaN feature (not null: nulls are 0 already) cannot be placed
    mean = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
    sd = x.std(axis=0, ddof=1) if len(x) > 1 else np.zeros(x.shape[1])
    # Constant by its range, not by sd > 0: the computed sd of a repeated non-zero value is ~1e-16, not 0, and
    # its inverse (~1e15) would swamp every distance (nearest_centre sums terms of that size).
    varies = (np.ptp(x, axis=0) > 0) if len(x) else np.zeros(x.shape[1], dtype=bool)
    scale = np.divide(1.0, sd, out=np.zeros_like(sd), where=varies & (sd > 0))
    z = (x - mean) * scale
    distinct = len(np.unique(z, axis=0)) if len(z) else 0
    if distinct <= 1:  # nothing to split: one centre
        return mean, scale, z[:1] if len(z) else np.zeros((1, x.shape[1]))
    fitted = KMeans(n_clusters=min(k, distinct), init="k-means++", n_init=1, max_iter=30, random_state=seed).fit(z)
    return mean, scale, fitted.cluster_centers_


def nearest_centre(columns: list[str], mean: np.ndarray, scale: np.ndarray, centres: np.ndarray) -> "F.Column":
    """Index of the centre nearest (squared Euclidean) to the standardised row of `columns` (log features);
    ties go to the smaller index. |z - c|^2 = |z|^2 - 2 z.c + |c|^2 and |z|^2 is the same for every centre, so
    each centre is one linear function of the columns: |c|^2 - 2 (sum_i x_i s_i c_i - sum_i m_i s_i c_i).
    Written as SQL text: one expression, not a Column per term (features/sqltext.py)."""
    options = []
    for j, centre in enumerate(centres):
        weights = scale * centre
        terms = [sqltext.double(centre @ centre + 2.0 * (mean @ weights))]
        terms += [f"{sqltext.name(c)} * {sqltext.double(-2.0 * w)}" for c, w in zip(columns, weights) if w != 0.0]
        options.append(f"named_struct('d', {' + '.join(terms)}, 'j', {j})")
    return F.expr(f"(array_min(array({', '.join(options)}))).j")
def behaviour_clusters(features: DataFrame, sample: DataFrame, *, columns: list[str], k: int, seed: int) -> DataFrame:
    """account_id, ds, behaviour_cluster: k-means fitted on `sample` (collected: it is bounded), applied to
    every row of `features`."""
    local = sample.select(*_log_features(columns)).toPandas()
    mean, scale, centres = fit_behaviour_clusters(local[columns].to_numpy(dtype="float64"), k=k, seed=seed)
    logs = features.select("account_id", "ds", *_log_features(columns))
    return logs.select("account_id", "ds", nearest_centre(columns, mean, scale, centres).alias("behaviour_cluster"))


def assign_syndicates(groups: DataFrame, clusters: DataFrame, *, min_size: int, min_member_share: float) -> DataFrame:
    """account_id, ds, group_size, syndicate_key (the account's block within its linked group, see the module
    docstring), link_kinds (from `linked_groups`; empty when `groups` has no such column)."""
    rows = groups.join(clusters.withColumn("ds_text", F.col("ds").cast("string")), on=["account_id", "ds_text"],
                       how="inner")
    by_group = Window.partitionBy("ds", "linked_group")
    by_block = Window.partitionBy("ds", "linked_group", "behaviour_cluster")
    blocks = (rows.withColumn("group_size", F.count(F.lit(1)).over(by_group))
              .withColumn("block_size", F.count(F.lit(1)).over(by_block)))
    # The group's largest block; ties go to the smaller cluster id.
    largest = F.max(F.struct(F.col("block_size").alias("n"), (-F.col("behaviour_cluster")).alias("neg"))).over(by_group)
    qualifies = (F.col("block_size") >= min_size) & (F.col("block_size") >= F.col("group_size") * min_member_share)
    cluster = F.when(qualifies, F.col("behaviour_cluster")).otherwise(-largest["neg"])
    kinds = F.col("link_kinds") if "link_kinds" in groups.columns else F.array().cast("array<string>")
    return blocks.select("account_id", "ds", "group_size",
                         F.concat_ws(":", "linked_group", cluster.cast("string")).alias("syndicate_key"),
                         kinds.alias("link_kinds"))


def describe_syndicates(
    members: DataFrame,
    features: DataFrame,
    scores: DataFrame,
    *,
    signal_columns: list[str],
    plain_words: dict[str, str],
    min_size: int,
    enforce_min_score: float,
    review_min_score: float,
) -> tuple[DataFrame, DataFrame]:
    """(membership: account_id, ds, syndicate_id, syndicate_links (the member's own ties: device, ip,
    fingerprint, orders, lockstep); syndicates: one row per syndicate, SYNDICATE_COLUMNS).

    `scores`: account_id, ds, score, anomaly_score. Shared signals: link types, lockstep, and the three
    behaviour features where the syndicate's mean log-value is furthest above the population's (in stds).
    """
    logs = features.select("account_id", "ds", "graph_link_types", "lockstep_group_id", *_log_features(signal_columns))
    if "link_kinds" not in members.columns:
        members = members.withColumn("link_kinds", F.array().cast("array<string>"))
    n = sqltext.name
    population = logs.groupBy("ds").agg(*[F.expr(f"avg({n(c)}) AS {n(c + '__mu')}") for c in signal_columns],
                                        *[F.expr(f"stddev({n(c)}) AS {n(c + '__sd')}") for c in signal_columns])
    rows = (members.join(logs, on=["account_id", "ds"], how="inner")
            .join(scores.select("account_id", "ds", "score", "anomaly_score"), on=["account_id", "ds"], how="left")
            .withColumn("own_links", F.array_union(
                F.coalesce("graph_link_types", F.array().cast("array<string>")),
                F.filter("link_kinds", lambda k: k.isin(*EXTRA_LINK_KINDS.values())))))
    agg = rows.groupBy("ds", "syndicate_key").agg(
        F.count(F.lit(1)).alias("size"),
        F.array_sort(F.collect_list(F.col("account_id").cast("string"))).alias("members"),
        F.avg("score").alias("mean_score"),
        F.avg("anomaly_score").alias("mean_anomaly_score"),
        F.array_sort(F.array_distinct(F.flatten(F.collect_list("own_links")))).alias("links"),
        F.avg((F.arrays_overlap("own_links", F.array(*[F.lit(k) for k in BEHAVIOUR_LINKS]))
               & F.arrays_overlap("own_links", F.array(*[F.lit(k) for k in INFRASTRUCTURE_LINKS]))).cast("double"))
        .alias("coordinated_share"),
        F.max(F.col("lockstep_group_id").isNotNull().cast("int")).alias("has_lockstep"),
        *[F.expr(f"avg({n(c)}) AS {n(c)}") for c in signal_columns],
    ).filter(F.col("size") >= min_size).join(population, on="ds", how="left")
    lifts = [f"named_struct('z', ({n(c)} - {n(c + '__mu')}) / greatest({n(c + '__sd')}, 1e-9D), "
             f"'text', {sqltext.string('high ' + plain_words.get(c, c))})" for c in signal_columns]
    top = F.expr(f"slice(sort_array(array({', '.join(lifts)}), false), 1, 3)")
    behaviour = F.transform(F.filter(top, lambda s: s["z"] > 1.0), lambda s: s["text"])
    words = F.create_map(*[F.lit(x) for kv in LINK_WORDS.items() for x in kv])
    links = F.transform(F.col("links"), lambda t: F.coalesce(F.element_at(words, t), F.concat(F.lit("shared "), t)))
    lockstep = F.when(F.col("has_lockstep") == 1, F.array(F.lit("lockstep engagement"))).otherwise(F.array())
    coordinated = (F.col("has_lockstep") == 1) | (F.coalesce("coordinated_share", F.lit(0.0)) >= COORDINATED_MEMBER_SHARE)
    action = (F.when(F.col("mean_score") >= enforce_min_score, "enforce: action every member after one review")
              .when((F.col("mean_score") >= review_min_score) | coordinated, "review: queue all members together")
              .otherwise("monitor"))
    reported = (F.col("mean_score") >= review_min_score) | coordinated
    syndicates = agg.filter(reported).select(
        "ds", F.concat(F.lit("S-"), F.element_at("members", 1)).alias("syndicate_id"), F.col("size").cast("int"),
        "members", F.concat(links, lockstep, behaviour).alias("shared_signals"), "mean_score", "mean_anomaly_score",
        action.alias("suggested_action"), "syndicate_key",
    )
    # The member's own ties to its ring (its graph links, repeat orders, lockstep): evidence of each tie.
    ties = F.array_sort(F.array_union("own_links", F.when(F.col("lockstep_group_id").isNotNull(),
                                                          F.array(F.lit("lockstep"))).otherwise(F.array())))
    membership = rows.join(syndicates.select("ds", "syndicate_key", "syndicate_id"), on=["ds", "syndicate_key"],
                           how="inner").select("account_id", "ds", "syndicate_id", ties.alias("syndicate_links"))
    return membership, syndicates.select(*SYNDICATE_COLUMNS)
