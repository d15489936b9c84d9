"""Window helpers: given column names they write SQL text; the result equals the Python-built Column's."""

from __future__ import annotations

from chispa import assert_df_equality
from pyspark.sql import functions as F

from creator_governance.features import windows as w


def test_name_and_column_forms_of_the_window_aggregates_agree(spark):
    rows = [("a", 0, 2, 1.5, None), ("a", 3, 5, 2.0, 4), ("a", 7, 10, 4.0, 1), ("a", 9, 1, 0.5, 0),
            ("b", 1, None, None, 2), ("b", 7, 4, 3.25, 8)]  # offset 7: the previous week, not this one
    df = spark.createDataFrame(rows, "account_id string, offset int, n int, x double, d int")

    def window(w, lag=0):  # the reference: Python-built Columns, independent of the helpers' SQL text
        return (F.col("offset") >= F.lit(lag)) & (F.col("offset") < F.lit(lag + w))

    by_name = df.groupBy("account_id").agg(
        w.wsum("n", 7).alias("sum_7"), w.wsum("x", 7, lag=7).alias("sum_prev"), w.wmax("x", 28).alias("max_28"),
        w.wmin("n", 7).alias("min_7"), w.wcount(7).alias("count_7"), w.wcount_distinct("n", 28).alias("distinct_28"),
        w.wsum(F.col("n") * 2, 7).alias("sum_7_twice"))
    by_column = df.groupBy("account_id").agg(
        F.coalesce(F.sum(F.when(window(7), F.col("n"))), F.lit(0)).alias("sum_7"),
        F.coalesce(F.sum(F.when(window(7, 7), F.col("x"))), F.lit(0)).alias("sum_prev"),
        F.max(F.when(window(28), F.col("x"))).alias("max_28"), F.min(F.when(window(7), F.col("n"))).alias("min_7"),
        F.count(F.when(window(7), F.lit(1))).alias("count_7"),
        F.count_distinct(F.when(window(28), F.col("n"))).alias("distinct_28"),
        F.coalesce(F.sum(F.when(window(7), F.col("n") * 2)), F.lit(0)).alias("sum_7_twice"))
    assert_df_equality(by_name, by_column, ignore_row_order=True)
    got = {r["account_id"]: r for r in by_name.collect()}
    assert got["a"]["sum_7"] == 7 and got["a"]["sum_prev"] == 4.5 and got["b"]["min_7"] is None
    assert got["b"]["sum_7"] == 0 and got["a"]["count_7"] == 2 and got["a"]["distinct_28"] == 4
    assert got["a"]["max_28"] == 4.0 and got["b"]["max_28"] == 3.25 and got["a"]["sum_7_twice"] == 14

    ratios = df.select(w.ratio("n", "d").alias("r"), w.ratio(F.col("n"), F.col("d")).alias("r_col"))
    assert [(r["r"], r["r_col"]) for r in ratios.collect()] == [(None, None), (1.25, 1.25), (10.0, 10.0),
                                                              (None, None), (None, None), (0.5, 0.5)]


def test_a_dotted_name_is_a_struct_field_as_f_col_reads_it(spark):
    df = spark.createDataFrame([((3,),)], "s struct<day:int>")
    row = df.select(w.in_window_of(5, 3, day="s.day").alias("in"), w.in_window_of(10, 3, day="s.day").alias("out"),
                    w.ratio("s.day", "s.day").alias("one")).first()
    assert row["in"] is True and row["out"] is False and row["one"] == 1.0
