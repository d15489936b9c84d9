"""The table catalog is what the table layer enforces: declared columns and types, partition, grain for upserts,
schema for tables not written yet; and docs/tables.md is generated from it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from creator_governance.catalog import BEGIN, END, TABLES, ddl, render_markdown, schema
from creator_governance.contract import LANDING_ENTITIES
from creator_governance.tables import SchemaMismatch, TableError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tables.md"
DS = dt.date(2026, 1, 5)


def test_every_declaration_is_consistent():
    for name, table in TABLES.items():
        names = [c.name for c in table.columns]
        assert len(names) == len(set(names)), name
        assert set(table.grain) <= set(names) and table.grain, name
        assert set(table.partition_by) <= set(names), name
        assert table.description and table.written_by.startswith("govern") and table.doc.split("#")[0].endswith(".md")
        assert all(c.comment for c in table.columns), name
        assert (DOCS.parent / table.doc.split("#")[0]).exists(), f"{name}: docs/{table.doc} does not exist"
    # the bronze tables are the contract's entities, keyed as ingestion dedupes them
    for name, entity in LANDING_ENTITIES.items():
        assert TABLES[name].grain == entity.keys
        assert [c.name for c in TABLES[name].columns] == [*entity.column_names, "ds", "_source_sha256"]


def test_schema_parses_every_declared_type_without_a_session():
    for name, table in TABLES.items():
        assert [f.dataType.simpleString() for f in schema(name).fields] == [c.type for c in table.columns], name
    assert ddl("metric_cube") == "ds date, metric string, leaf string, numerator double, denominator double"
    with pytest.raises(KeyError, match="'nope' is not in the table catalog"):
        schema("nope")


def alert_row(spark, **changed):
    row = {c.name: None for c in TABLES["alerts"].columns} | {"ds": DS, "metric": "lqcr", "dimension": "all",
                                                              "dimension_value": "all", "observed": 0.2}
    frame = spark.createDataFrame([tuple(row.values())], schema("alerts"))
    for column, value in changed.items():
        frame = frame.withColumn(column, value)
    return frame


def test_a_write_must_match_the_declaration(spark, tables):
    tables.overwrite_partitions("alerts", alert_row(spark), [DS])
    with pytest.raises(SchemaMismatch, match=r"'alerts'.*table catalog.*columns not in the catalog \['extra'\]"):
        tables.overwrite_partitions("alerts", alert_row(spark, extra=F.lit(1)), [DS])
    with pytest.raises(SchemaMismatch, match=r"type differs: observed \(catalog double, incoming string\)"):
        tables.overwrite_partitions("alerts", alert_row(spark, observed=F.lit("0.2")), [DS])
    with pytest.raises(SchemaMismatch, match=r"missing columns \['explanation'\]"):
        tables.overwrite_partitions("alerts", alert_row(spark).drop("explanation"), [DS])
    # a new table is refused too, before anything is written
    with pytest.raises(SchemaMismatch, match="columns not in the catalog"):
        tables.append("risk_queue", alert_row(spark))
    assert not tables.exists("risk_queue")
    assert tables.read("alerts").count() == 1


def test_the_partition_is_the_declared_one(spark, tables):
    with pytest.raises(TableError, match=r"'alerts' is partitioned by \['ds'\] in the table catalog"):
        tables.append("alerts", alert_row(spark), partition_by=[])
    tables.append("alerts", alert_row(spark))
    assert tables.partition_columns("alerts") == ["ds"]
    quarantine = spark.createDataFrame([], schema("quarantine"))
    tables.append("quarantine", quarantine)
    assert tables.partition_columns("quarantine") == list(TABLES["quarantine"].partition_by)


def test_an_open_table_takes_its_listed_columns_and_more(spark, tables):
    frame = spark.createDataFrame([("a1", DS, 3)], "account_id string, ds date, posts_7d int")
    tables.overwrite_partitions("creator_features", frame, [DS])
    with pytest.raises(SchemaMismatch, match=r"missing columns \['account_id'\]"):
        tables.overwrite_partitions("creator_features", frame.drop("account_id"), [DS])


def test_upsert_merges_on_the_declared_grain(spark, tables):
    columns = [c.name for c in TABLES["reports"].columns]
    assert TABLES["reports"].grain == ("report_id",)

    def reports(reason):
        values = {c: None for c in columns} | {"report_id": "r1", "reporter_id": "u1", "target_id": "a1",
                                                "reason": reason, "ds": DS}
        return spark.createDataFrame([tuple(values.values())], schema("reports"))

    tables.upsert("reports", reports("spam"))
    tables.upsert("reports", reports("fraud"))
    assert [(r["report_id"], r["reason"]) for r in tables.read("reports").collect()] == [("r1", "fraud")]
    with pytest.raises(TableError, match="upsert needs keys"):
        tables.upsert("not_catalogued", spark.createDataFrame([(1,)], "x int"))


def test_read_or_empty_gives_the_declared_schema(tables):
    empty = tables.read_or_empty("decisions", ds_to=DS)
    assert empty.count() == 0 and empty.columns == [c.name for c in TABLES["decisions"].columns]


def test_docs_are_generated_from_the_catalog():
    text = DOCS.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    assert text.split(BEGIN, 1)[1].split(END, 1)[0] == "\n" + render_markdown(), \
        "docs/tables.md is stale: run python scripts/gen_table_docs.py"
