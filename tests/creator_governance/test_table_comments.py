"""Column comments from the table catalog travel into the Delta schema on every write (delta-rs engine here), so
the Delta log and DESCRIBE through Spark show them; a table written before the comments gets them on its next
write, and its rows are untouched."""

from __future__ import annotations

import datetime as dt

from deltalake import DeltaTable, write_deltalake
from pyspark.sql import functions as F

from creator_governance.tables.catalog import comments

DS = dt.date(2026, 1, 5)


def scores(spark):
    return spark.createDataFrame([("a1", DS, 0.7, "m1", "high", ["reports_7d"], ["reports (7d): 4"], 0.2, None, None)],
                                 "account_id string, ds date, score double, model_version string, risk_tier string, "
                                 "reason_codes array<string>, reasons array<string>, anomaly_score double, "
                                 "syndicate_id string, syndicate_links array<string>")


def test_comments_reach_the_delta_log_and_describe(spark, tables):
    tables.overwrite_partitions("creator_scores", scores(spark), [DS])
    logged = {f.name: f.metadata.get("comment") for f in DeltaTable(tables.path("creator_scores")).schema().fields}
    assert logged["score"] == comments("creator_scores")["score"]
    assert logged["syndicate_links"].startswith("the member's own ties")
    tables.register_views()
    described = {r["col_name"]: r["comment"] for r in spark.sql("DESCRIBE TABLE creator_scores").collect()}
    assert described["score"] == comments("creator_scores")["score"]
    assert tables.read("creator_scores").first()["score"] == 0.7


def test_a_table_written_before_the_comments_gets_them_on_its_next_write(spark, tables):
    import pyarrow as pa

    from creator_governance.tables.schema import to_arrow

    before = scores(spark)
    arrow = pa.Table.from_pandas(before.toPandas(), schema=to_arrow(before.schema), preserve_index=False)
    write_deltalake(tables.path("creator_scores"), arrow, partition_by=["ds"])
    assert all(not f.metadata for f in DeltaTable(tables.path("creator_scores")).schema().fields)
    tables.append("creator_scores", before.withColumn("account_id", F.lit("a2")))
    fields = {f.name: f.metadata.get("comment") for f in DeltaTable(tables.path("creator_scores")).schema().fields}
    assert fields["score"] == comments("creator_scores")["score"]
    assert sorted(r["account_id"] for r in tables.read("creator_scores").collect()) == ["a1", "a2"]


def test_description_and_change_data_feed_on_the_tables_consumers_follow(spark, tables):
    from creator_governance.catalog import TABLES
    from creator_governance.tables.catalog import description

    tables.overwrite_partitions("creator_scores", scores(spark), [DS])
    table = DeltaTable(tables.path("creator_scores"))
    assert table.metadata().description == description("creator_scores")
    assert table.metadata().configuration.get("delta.enableChangeDataFeed") == "true"
    first = table.version()
    assert first == 0  # description and feed in the creating commit: the feed holds the table's first rows
    created = table.load_cdf(starting_version=0).read_all()
    assert list(zip(created.column("_change_type").to_pylist(), created.column("score").to_pylist())) == [
        ("insert", 0.7)]
    # a second write of the day: the feed shows the day's old row deleted and the new one inserted
    tables.overwrite_partitions("creator_scores", scores(spark).withColumn("score", F.lit(0.9)), [DS])
    assert DeltaTable(tables.path("creator_scores")).version() == first + 1  # no second metadata commit
    changes = DeltaTable(tables.path("creator_scores")).load_cdf(starting_version=first + 1).read_all()
    feed = sorted(zip(changes.column("_change_type").to_pylist(), changes.column("score").to_pylist()))
    assert feed == [("delete", 0.7), ("insert", 0.9)]
    assert {n for n, t in TABLES.items() if t.change_data_feed} == {"creator_scores", "alerts", "strategy_hits",
                                                                   "governance_events"}
    tables.append("plain_table", spark.createDataFrame([(1,)], "x int"))
    plain = DeltaTable(tables.path("plain_table"))
    assert plain.metadata().description is None and "delta.enableChangeDataFeed" not in plain.metadata().configuration


def test_the_alerts_table_carries_its_comments_in_the_log_and_describe(spark, tables):
    from creator_governance.tables.catalog import as_declared

    row = spark.createDataFrame([(DS, "creator_violation_rate", "all", "all", "high", "moved up")],
                                "ds date, metric string, dimension string, dimension_value string, severity string, "
                                "explanation string")
    tables.overwrite_partitions("alerts", as_declared("alerts", row), [DS])
    logged = {f.name: f.metadata.get("comment") for f in DeltaTable(tables.path("alerts")).schema().fields}
    assert logged == comments("alerts") and logged["explanation"]
    tables.register_views()
    described = {r["col_name"]: r["comment"] for r in spark.sql("DESCRIBE TABLE alerts").collect()}
    assert described["severity"] == comments("alerts")["severity"]
    assert DeltaTable(tables.path("alerts")).load_cdf(starting_version=0).read_all().num_rows == 1


def test_with_comments_orders_and_comments_flat_and_nested_frames_alike(spark):
    """Both paths (one `DataFrame.to` for flat frames, aliases when a column is an array) give the table's order,
    the catalog's comments and the frame's own other metadata; a frame already so shaped is returned as is."""
    from creator_governance.tables.catalog import with_comments

    known = comments("creator_scores")
    nested = scores(spark).withColumn("score", F.col("score").alias("score", metadata={"origin": "model"}))
    flat = nested.drop("reason_codes", "reasons", "syndicate_links")
    for frame in (flat, nested):
        order = list(reversed(frame.columns))
        shaped = with_comments("creator_scores", frame, order=order)
        assert shaped.columns == order
        meta = {f.name: f.metadata for f in shaped.schema.fields}
        assert all(meta[c].get("comment") == known[c] for c in order if c in known)
        assert meta["score"]["origin"] == "model"
        assert shaped.collect()[0].asDict() == frame.collect()[0].asDict()
        assert with_comments("creator_scores", shaped, order=order) is shaped
