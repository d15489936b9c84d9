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
