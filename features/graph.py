"""Account graph: accounts linked by a shared device, IP or content fingerprint, and its connected components.

Components of a graph small enough for the driver (up to `LOCAL_EDGES` distinct edges) are solved there in
one pass; larger graphs use the alternating large-star / small-star algorithm (Kiveris et al., "Connected
Components in MapReduce and Beyond", SoCC 2014): every round is two shuffles over the edge list, no driver
collect, and the number of rounds grows as O(log n) even on long chains. Each round is cut from the lineage with
a local checkpoint and convergence is tested on a two-number checksum of the edge set.

Hubs are not links: a key (device, IP, fingerprint) seen on more than `hub_cap` accounts in the window
(carrier NAT, office Wi-Fi, a viral sound) adds no edge; the accounts that used it count it as a feature.
Graphs of several days are solved in one pass: a node is `(day, account)` encoded as text, so the days'
graphs are disjoint parts of one graph.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from creator_governance.features.common import MAX_WINDOW
from creator_governance.features.windows import filter_in_reach, in_window_of_sql, whole_group

LINK_TYPES = ("device", "ip", "fingerprint")


def build_key_usage(events: DataFrame, *, account: str, key: str, targets: list[int]) -> DataFrame:
    """Who used which key in the 28-day window of each requested day.

    `events` has `day` (day index), the account column and the key column. Returns one row per
    (account_id, key, ds_index): first_offset (days before ds of the latest use), uses_28d, and
    key_accounts (distinct accounts on that key in the same window).

    Each (account, key) pair is aggregated once, with its latest day and its uses inside every requested day's
    window as conditional aggregates, then spread to the days it was used in: events are not copied once per
    day (the costliest step of the features at 400k accounts when they were).
    """
    used = filter_in_reach(events.filter(F.col(key).isNotNull() & F.col(account).isNotNull()),
                           targets=targets, max_window=MAX_WINDOW)
    # SQL text: a backfill has one pair of aggregates and one struct per requested day (28 in the demo)
    per_day = []
    for i, target in enumerate(targets):
        in_window = in_window_of_sql(target, MAX_WINDOW)
        per_day += [F.expr(f"max(CASE WHEN {in_window} THEN `day` END) AS last_{i}"),
                    F.expr(f"count(CASE WHEN {in_window} THEN 1 END) AS uses_{i}")]
    pairs = used.groupBy(F.col(account).alias("account_id"), F.col(key).alias("key")).agg(*per_day)
    spread = ", ".join(f"named_struct('ds_index', {int(target)}, 'first_offset', {int(target)} - last_{i}, "
                       f"'uses_28d', uses_{i})" for i, target in enumerate(targets))
    usage = pairs.selectExpr("account_id", "key", f"inline(array({spread}))").filter("first_offset IS NOT NULL")
    return usage.withColumn("key_accounts", F.count(F.lit(1)).over(whole_group("key", "ds_index")))


def node_id(ds_index: str, account: str) -> Column:
    """Text id of an account on one day; all nodes of one day's graph share the prefix."""
    return F.format_string("%07d|%s", F.col(ds_index), F.col(account))


def build_link_edges(usage: DataFrame, *, link_type: str, hub_cap: int) -> DataFrame:
    """Edges (src, dst, link_type) linking every account of a non-hub key to the key's smallest node.

    A star per key has as few edges as a clique would be wide, and the same components.
    """
    nodes = usage.filter((F.col("key_accounts") >= F.lit(2)) & (F.col("key_accounts") <= F.lit(hub_cap)))
    nodes = nodes.withColumn("node", node_id("ds_index", "account_id"))
    centers = nodes.groupBy("key", "ds_index").agg(F.min("node").alias("dst"))
    return (
        nodes.join(centers, on=["key", "ds_index"], how="inner")
        .filter(F.col("node") != F.col("dst"))
        .select(F.col("node").alias("src"), "dst", F.lit(link_type).alias("link_type"))
    )


def _normalised(edges: DataFrame) -> DataFrame:
    """Undirected edges as (src > dst), without self-loops or repeats."""
    return (
        edges.select(F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst"))
        .filter(F.col("src") != F.col("dst"))
        .distinct()
    )


def _large_star(edges: DataFrame) -> DataFrame:
    """Each node's larger neighbours are re-attached to the smallest node of its closed neighbourhood."""
    both = edges.union(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    smallest = both.groupBy("src").agg(F.least(F.min("dst"), F.col("src")).alias("m"))
    return _normalised(
        both.join(smallest, on="src", how="inner").filter(F.col("dst") > F.col("src"))
        .select(F.col("dst").alias("src"), F.col("m").alias("dst"))
    )


def _small_star(edges: DataFrame) -> DataFrame:
    """Each node and its smaller neighbours are re-attached to the smallest of them."""
    smallest = edges.groupBy("src").agg(F.min("dst").alias("m"))
    joined = edges.join(smallest, on="src", how="inner")
    return _normalised(
        joined.select(F.col("dst").alias("src"), F.col("m").alias("dst"))
        .union(joined.select("src", F.col("m").alias("dst")))
    )


def _checksum(edges: DataFrame) -> tuple[int, int]:
    row = edges.agg(F.count(F.lit(1)).alias("n"), F.coalesce(F.sum(F.pmod(F.xxhash64("src", "dst"), F.lit(2**31))), F.lit(0)).alias("h"))
    row = row.first()
    return int(row["n"]), int(row["h"])


LOCAL_EDGES = 500_000  # up to this many distinct edges, components are solved on the driver in one pass


def connected_components(edges: DataFrame, *, max_iterations: int = 30, local_edges: int = LOCAL_EDGES) -> DataFrame:
    """(node, component) for every node that has an edge; component = the smallest node id of its component.

    `edges` has text columns src and dst (undirected). A graph of at most `local_edges` distinct edges (every
    daily graph of the demo and of a 20k-account day) is collected once and solved on the driver (`_solved_locally`:
    the same components without a Spark job per round); a larger one runs large-star/small-star rounds on the
    executors and raises RuntimeError when not converged within `max_iterations` rounds (each round: one
    large-star and one small-star step).
    """
    normalised = _normalised(edges)
    if local_edges > 0:
        head = normalised.limit(local_edges + 1).toArrow()
        if head.num_rows <= local_edges:
            return _solved_locally(edges.sparkSession, head)
    current = normalised.localCheckpoint()
    state = _checksum(current)
    for _ in range(max_iterations):
        nxt = _small_star(_large_star(current)).localCheckpoint()
        new_state = _checksum(nxt)
        current = nxt
        if new_state == state:
            break
        state = new_state
    else:
        raise RuntimeError(f"connected components did not converge in {max_iterations} rounds")
    leaves = current.select(F.col("src").alias("node"), F.col("dst").alias("component"))
    centers = current.select(F.col("dst").alias("node"), F.col("dst").alias("component")).distinct()
    return leaves.unionByName(centers)


def _solved_locally(spark, edges) -> DataFrame:
    """(node, component) of an arrow table of edges (src, dst), solved with scipy's connected components: the
    nodes sorted as Spark orders text (by code point, as UTF-8 bytes sort), so a component's smallest index is its
    smallest id."""
    import numpy as np
    import pandas as pd
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as components_of

    if edges.num_rows == 0:
        return spark.createDataFrame([], "node string, component string")
    ends = np.concatenate([edges.column("src").to_numpy(zero_copy_only=False),
                           edges.column("dst").to_numpy(zero_copy_only=False)])
    nodes, index = np.unique(ends, return_inverse=True)
    n, m = len(nodes), edges.num_rows
    graph = coo_matrix((np.ones(m, dtype=np.int8), (index[:m], index[m:])), shape=(n, n))
    _, labels = components_of(graph, directed=False)
    smallest = np.full(labels.max(initial=-1) + 1, n)
    np.minimum.at(smallest, labels, np.arange(n))
    frame = pd.DataFrame({"node": nodes.astype(object), "component": nodes[smallest[labels]].astype(object)})
    return spark.createDataFrame(frame, "node string, component string")


def build_account_graph(usages: dict[str, DataFrame], *, hub_cap: int, max_iterations: int) -> DataFrame:
    """Graph signals per (account_id, ds_index) for accounts with at least one link.

    `usages` maps a link type to its `build_key_usage` frame. Columns: account_id, ds_index,
    graph_cluster_id (smallest account id of the component), graph_cluster_size, graph_link_types
    (sorted link types of the account's own links), graph_cluster_link_types (of the whole component).
    """
    edges = None
    for link_type, usage in usages.items():
        part = build_link_edges(usage, link_type=link_type, hub_cap=hub_cap)
        edges = part if edges is None else edges.unionByName(part)
    edges = edges.localCheckpoint()
    components = connected_components(edges, max_iterations=max_iterations)
    own_types = (
        edges.select(F.col("src").alias("node"), "link_type")
        .unionByName(edges.select(F.col("dst").alias("node"), "link_type"))
        .groupBy("node").agg(F.array_sort(F.collect_set("link_type")).alias("graph_link_types"))
    )
    nodes = components.join(own_types, on="node", how="inner")
    per_component = nodes.groupBy("component").agg(
        F.count(F.lit(1)).alias("graph_cluster_size"),
        F.array_sort(F.array_distinct(F.flatten(F.collect_list("graph_link_types")))).alias("graph_cluster_link_types"),
    )
    parts = F.split(F.col("node"), r"\|", 2)
    return nodes.join(per_component, on="component", how="inner").select(
        F.element_at(parts, 2).alias("account_id"),
        F.element_at(parts, 1).cast("int").alias("ds_index"),
        F.element_at(F.split(F.col("component"), r"\|", 2), 2).alias("graph_cluster_id"),
        "graph_cluster_size", "graph_link_types", "graph_cluster_link_types",
    )
