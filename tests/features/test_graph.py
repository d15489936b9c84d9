"""Connected components (on the driver, and large-star/small-star on the executors) on chain, star, cycle and
isolated nodes; hubs are not links."""

from __future__ import annotations

import random

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.features.graph import LOCAL_EDGES, build_key_usage, build_link_edges, connected_components

EDGE = T.StructType([T.StructField("src", T.StringType()), T.StructField("dst", T.StringType())])
OUT = T.StructType([T.StructField("node", T.StringType()), T.StructField("component", T.StringType())])


@pytest.mark.parametrize("local_edges", [LOCAL_EDGES, 0], ids=["driver", "executors"])
def test_chain_star_and_cycle_each_become_one_component(spark, local_edges):
    chain = [(f"c{i:02d}", f"c{i + 1:02d}") for i in range(19)][::-1]  # 20 nodes, smallest id at one end
    star = [("s0", f"s{i}") for i in range(1, 6)]
    cycle = [("y3", "y1"), ("y1", "y4"), ("y4", "y2"), ("y2", "y3")]
    repeated = [("s3", "s0"), ("c05", "c05")]  # a reversed duplicate and a self-loop change nothing
    edges = spark.createDataFrame(chain + star + cycle + repeated, EDGE)
    expected = (
        [(f"c{i:02d}", "c00") for i in range(20)] + [(f"s{i}", "s0") for i in range(6)]
        + [(f"y{i}", "y1") for i in range(1, 5)]
    )
    actual = connected_components(edges, max_iterations=20, local_edges=local_edges)
    assert_df_equality(actual, spark.createDataFrame(expected, OUT), ignore_row_order=True, ignore_nullable=True)


@pytest.mark.parametrize("local_edges", [LOCAL_EDGES, 0], ids=["driver", "executors"])
def test_no_edges_give_no_components(spark, local_edges):
    assert connected_components(spark.createDataFrame([], EDGE), local_edges=local_edges).count() == 0


def test_the_driver_and_the_executors_find_the_same_components_of_a_random_graph(spark):
    rng = random.Random(5)
    # ids of several widths and a non-ASCII one: the smallest id is Spark's text order (code points) on both paths
    names = [f"{rng.choice(['a', 'b', 'é'])}{rng.randrange(10 ** rng.randint(1, 3))}" for _ in range(300)]
    rows = [(rng.choice(names), rng.choice(names)) for _ in range(150)]
    edges = spark.createDataFrame(rows, EDGE)
    driver = connected_components(edges)
    assert_df_equality(driver, connected_components(edges, local_edges=0), ignore_row_order=True,
                       ignore_nullable=True)
    assert driver.select("component").distinct().count() > 10  # many components, not one


def test_a_graph_above_the_limit_is_solved_on_the_executors(spark):
    edges = spark.createDataFrame([("b", "a"), ("c", "b"), ("e", "d")], EDGE)
    # 3 distinct edges > 2: the rounds run (and converge within 3) rather than the driver's pass
    out = connected_components(edges, max_iterations=3, local_edges=2)
    assert sorted(map(tuple, out.collect())) == [("a", "a"), ("b", "a"), ("c", "a"), ("d", "d"), ("e", "d")]
    with pytest.raises(RuntimeError, match="did not converge in 0 rounds"):
        connected_components(edges, max_iterations=0, local_edges=2)


def test_hub_above_cap_adds_no_link_and_isolated_account_has_none(spark):
    sessions = T.StructType([T.StructField(c, T.StringType()) for c in ("account_id", "device_id")]
                            + [T.StructField("day", T.IntegerType())])
    rows = [(f"h{i}", "hub", 100) for i in range(4)] + [("p1", "pair", 100), ("p2", "pair", 99),
                                                         ("lonely", "own", 100), ("x", None, 100)]
    usage = build_key_usage(spark.createDataFrame(rows, sessions), account="account_id", key="device_id",
                            targets=[100])
    edges = build_link_edges(usage, link_type="device", hub_cap=3).select(
        F.split("src", r"\|")[1].alias("src"), F.split("dst", r"\|")[1].alias("dst"))
    assert [tuple(r) for r in edges.collect()] == [("p2", "p1")]
    hubs = {r["account_id"]: r["key_accounts"] for r in usage.filter("key = 'hub'").collect()}
    assert hubs == {f"h{i}": 4 for i in range(4)}


def test_key_usage_per_requested_day_window_edges_offsets_and_accounts_per_key(spark):
    """Targets 100 and 103: a use on day 73 is inside 100's window (day w-1 back), outside 103's; day 72 is in
    none; key_accounts counts each day's own window."""
    sessions = T.StructType([T.StructField(c, T.StringType()) for c in ("account_id", "device_id")]
                            + [T.StructField("day", T.IntegerType())])
    rows = [("a", "d1", 73), ("a", "d1", 73), ("a", "d1", 101), ("b", "d1", 72), ("b", "d1", 103),
            ("c", "d2", 104)]
    usage = build_key_usage(spark.createDataFrame(rows, sessions), account="account_id", key="device_id",
                            targets=[100, 103])
    out = T.StructType([T.StructField("account_id", T.StringType()), T.StructField("key", T.StringType()),
                        T.StructField("ds_index", T.IntegerType()), T.StructField("first_offset", T.IntegerType()),
                        T.StructField("uses_28d", T.LongType()), T.StructField("key_accounts", T.LongType())])
    expected = [("a", "d1", 100, 27, 2, 1), ("a", "d1", 103, 2, 1, 2), ("b", "d1", 103, 0, 1, 2)]
    assert_df_equality(usage, spark.createDataFrame(expected, out), ignore_row_order=True, ignore_nullable=True)
