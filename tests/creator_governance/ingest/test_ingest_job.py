"""End to end: `jobs.ingest.run` on small landing zones written with plain json/csv/pyarrow."""

from __future__ import annotations

import datetime as dt
import shutil
from types import SimpleNamespace

import pyarrow as pa
import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

UTC = dt.timezone.utc


def t(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour)


def write_landing(root, lz):
    """Accounts in JSON Lines and CSV, orders in Parquet and JSON Lines, engagements in CSV, nested folders,
    content with an unreadable file. Written with json, csv and pyarrow: timestamps with Z, offsets, naive."""
    a1 = lz.jsonl(root / "accounts" / "2026" / "01" / "accounts-1.jsonl", [
        {"account_id": "a1", "created_at": "2026-01-01T10:00:00Z", "country": "FR", "is_seller": True, "extra": 1},
        {"account_id": "a2", "created_at": "2026-01-01T23:30:00-02:00", "country": "DE"},
        {"account_id": "a3", "created_at": "2026-01-02 08:00:00", "is_seller": "false"},
        {"account_id": "a4", "created_at": "yesterday"},
        {"account_id": "a1", "created_at": "2026-01-01T10:00:00Z", "country": "FR", "is_seller": True},
    ], raw_lines=["{not json", "[1, 2]", ""])
    a2 = lz.csv(root / "accounts" / "accounts-2.csv", ["is_seller", "account_id", "created_at", "country"], [
        ["true", "a2", "2026-01-02T01:30:00Z", "ES"],
        ["TRUE", "a1", "2026-01-01T12:00:00+02:00", "FR"],
        ["maybe", "a5", "2026-01-03T00:00:00Z", "usa"],
    ], raw_lines=["1,a6"])
    o1 = lz.parquet(root / "orders" / "orders-1.parquet", pa.table({
        "order_id": ["o1", "o1", "o2", "o3"],
        "created_at": pa.array([t(1, 9), t(1, 9), t(2), t(3)], pa.timestamp("us", tz="UTC")),
        "buyer_id": ["a3", "a3", "a3", "a3"],
        "seller_id": ["a1", "a1", "a1", "zz"],
        "amount": [10.0, 10.0, -3.0, 5.0],
        "status": ["completed", "refunded", "completed", "completed"],
        "updated_at": pa.array([t(1, 9), t(4), t(2), None], pa.timestamp("us", tz="UTC")),
    }))
    o2 = lz.jsonl(root / "orders" / "late" / "orders-2.jsonl", [
        {"order_id": "o1", "created_at": "2026-01-01T09:00:00Z", "buyer_id": "a3", "seller_id": "a1",
         "amount": "10", "status": "cancelled", "updated_at": "2026-01-02T00:00:00Z"},
        {"order_id": "o3", "created_at": "2026-01-03T00:00:00Z", "buyer_id": "a3", "seller_id": "zz",
         "amount": "ten", "status": "lost"},
    ])
    e1 = lz.csv(root / "engagements" / "e.csv", ["event_id", "ts", "actor_id", "content_id", "action"], [
        ["e1", "2026-01-02T10:00:00Z", "a1", "c1", "view"],
        ["e2", "2026-01-02T10:00:00Z", "a1", "c1", "poke"],
        ["e3", "", "a1", "c1", "like"],
    ])
    broken = root / "content" / "broken.parquet"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"this is not parquet")
    c1 = lz.jsonl(root / "content" / "ok.jsonl", [
        {"content_id": "c2", "creator_id": "a1", "created_at": "2026-01-01T00:00:00Z", "content_type": "video",
         "quality_score": 1.5}])
    lz.touch_in_order(a1, a2, o1, o2, e1, broken, c1)
    return root


@pytest.fixture(scope="module")
def first(spark, tmp_path_factory, lz, ingest_into):
    """One ingest of the shared landing zone; tests that write more work on copies (see `copy_of`)."""
    from creator_governance.tables import Tables

    root = tmp_path_factory.mktemp("ingest")
    landing = write_landing(root / "landing", lz)
    tables = Tables(spark, str(root / "lakehouse"), engine="delta-rs")
    return SimpleNamespace(landing=landing, tables=tables, summary=ingest_into(spark, tables, landing))


def copy_of(first, spark, tmp_path):
    """The landing zone and lakehouse after the first ingest, copied (modification times kept)."""
    from creator_governance.tables import Tables

    landing = shutil.copytree(first.landing, tmp_path / "landing")
    shutil.copytree(first.tables.root, tmp_path / "lakehouse")
    return landing, Tables(spark, str(tmp_path / "lakehouse"), engine="delta-rs")


def test_reconciliation_is_recorded_for_every_file(first):
    tables, summary = first.tables, first.summary

    log = {r["source_file"]: r for r in tables.read("ingest_log").collect()}
    assert set(log) == {"accounts/2026/01/accounts-1.jsonl", "accounts/accounts-2.csv", "orders/orders-1.parquet",
                        "orders/late/orders-2.jsonl", "engagements/e.csv", "content/broken.parquet",
                        "content/ok.jsonl"}
    for r in log.values():
        assert r["rows_read"] == r["rows_accepted"] + r["rows_quarantined"] + r["rows_duplicate"], r["source_file"]
        assert r["run_id"] == summary["run_id"] and len(r["sha256"]) == 64
    assert log["content/broken.parquet"]["status"] == "unreadable"
    assert {r["status"] for k, r in log.items() if k != "content/broken.parquet"} == {"ingested"}
    counts = {k: (r["rows_read"], r["rows_accepted"], r["rows_quarantined"], r["rows_duplicate"]) for k, r in log.items()}
    assert counts == {
        "accounts/2026/01/accounts-1.jsonl": (7, 3, 3, 1),  # blank line is not a row
        "accounts/accounts-2.csv": (4, 1, 2, 1),
        "orders/orders-1.parquet": (4, 3, 1, 0),
        "orders/late/orders-2.jsonl": (2, 1, 1, 0),
        "engagements/e.csv": (3, 1, 2, 0),
        "content/broken.parquet": (0, 0, 0, 0),
        "content/ok.jsonl": (1, 0, 1, 0),
    }
    quarantined = tables.read("quarantine").filter("line > 0").groupBy("source_file").count().collect()
    assert {r["source_file"]: r["count"] for r in quarantined} == {k: v[2] for k, v in counts.items() if v[2]}
    assert summary["rows_read"] == 21


def test_latest_wins_for_accounts_and_orders(first):
    tables = first.tables

    accounts = {r["account_id"]: r for r in tables.read("accounts").collect()}
    assert sorted(accounts) == ["a1", "a2", "a3"]
    assert accounts["a2"]["country"] == "ES"  # the CSV delivered after the JSON Lines file wins
    assert accounts["a2"]["created_at"] == dt.datetime(2026, 1, 2, 1, 30)
    assert accounts["a1"]["created_at"] == dt.datetime(2026, 1, 1, 10)
    orders = {r["order_id"]: r for r in tables.read("orders").collect()}
    assert sorted(orders) == ["o1", "o3"]
    assert orders["o1"]["status"] == "refunded"  # greatest updated_at, whatever the delivery order
    assert orders["o3"]["updated_at"] == dt.datetime(2026, 1, 3)  # defaults to created_at


def test_bronze_has_the_contract_columns_and_utc_ds(first):
    tables = first.tables

    accounts = tables.read("accounts")
    assert accounts.columns == ["account_id", "created_at", "country", "is_seller", "category", "ds",
                                "_source_sha256"]
    by_id = {r["account_id"]: r for r in accounts.collect()}
    assert by_id["a3"]["is_seller"] is False and by_id["a3"]["country"] is None
    assert by_id["a1"]["ds"] == dt.date(2026, 1, 1)
    assert by_id["a2"]["ds"] == dt.date(2026, 1, 2)


def test_accounts_keep_ds_as_a_column_not_a_partition_and_ds_filters_still_apply(first):
    tables = first.tables

    assert tables.partition_columns("accounts") == []
    assert tables.partition_columns("orders") == ["ds"]
    assert sorted(r["account_id"] for r in tables.read("accounts", ds_to="2026-01-01").collect()) == ["a1"]
    assert sorted(r["account_id"] for r in tables.read("accounts", ds=["2026-01-02"]).collect()) == ["a2", "a3"]


def test_quarantine_explains_every_reason(first, spark):
    tables = first.tables

    actual = tables.read("quarantine").filter("line > 0").select("source_file", "line", "reasons")
    schema = T.StructType([T.StructField("source_file", T.StringType()), T.StructField("line", T.LongType()),
                           T.StructField("reasons", T.ArrayType(T.StringType()))])
    expected = spark.createDataFrame([
        ("accounts/2026/01/accounts-1.jsonl", 4, ["created_at: 'yesterday' is not a timestamp"]),
        ("accounts/2026/01/accounts-1.jsonl", 6, ["malformed JSON line"]),
        ("accounts/2026/01/accounts-1.jsonl", 7, ["not a JSON object"]),
        ("accounts/accounts-2.csv", 4, ["country: 'usa' does not match ^[A-Z]{2}$",
                                        "is_seller: 'maybe' is not a boolean (true/1/false/0)"]),
        ("accounts/accounts-2.csv", 5, ["malformed CSV row: expected 4 fields as in the header"]),
        ("orders/orders-1.parquet", 3, ["amount: -3.0 is below the minimum 0"]),
        ("orders/late/orders-2.jsonl", 2, ["amount: 'ten' is not a number",
                                           "status: 'lost' is not one of completed, refunded, cancelled"]),
        ("engagements/e.csv", 3, ["action: 'poke' is not one of view, like, comment, share"]),
        ("engagements/e.csv", 4, ["ts: required value missing"]),
        ("content/ok.jsonl", 1, ["quality_score: 1.5 is above the maximum 1"]),
    ], schema)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True, ignore_metadata=True)
    raw = {r["line"]: r["raw_record"] for r in tables.read("quarantine").filter("source_file = 'engagements/e.csv'").collect()}
    assert raw[3] == "e2,2026-01-02T10:00:00Z,a1,c1,poke"
    assert set(tables.read("quarantine").select("entity", "run_id").distinct().toPandas()["entity"]) == {
        "accounts", "orders", "engagements", "content"}


def test_referential_gaps_are_counted_not_quarantined(first):
    tables = first.tables

    dq = {(r["entity"], r["metric"], r["column_name"]): r for r in tables.read("data_quality").collect()}
    gap = dq[("engagements", "referential_gap", "content_id")]
    assert (gap["numerator"], gap["denominator"], gap["reference"]) == (1, 1, "content.content_id")
    assert dq[("orders", "referential_gap", "seller_id")]["numerator"] == 1  # o3 sold by unknown zz
    assert dq[("accounts", "null_rate", "category")]["value"] == 1.0
    assert tables.read("engagements").count() == 1


def _snapshot(tables, rows_of):
    return {
        "accounts": rows_of(tables, "accounts"), "orders": rows_of(tables, "orders"),
        "engagements": rows_of(tables, "engagements"),
        "quarantine": rows_of(tables, "quarantine", ("quarantined_at",)),
        "ingest_log": rows_of(tables, "ingest_log", ("ingested_at",)),
        "data_quality": rows_of(tables, "data_quality", ("computed_at",)),
    }


def test_ingesting_twice_changes_nothing(first, spark, tmp_path, ingest_into, rows_of):
    landing, tables = copy_of(first, spark, tmp_path)
    before = _snapshot(tables, rows_of)
    versions = {n: tables.version(n) for n in before}

    again = ingest_into(spark, tables, landing)

    assert again["files_new"] == 0 and again["rows_read"] == 0
    assert _snapshot(tables, rows_of) == before
    assert {n: tables.version(n) for n in before} == versions


def test_a_redelivered_file_under_another_name_adds_nothing(first, spark, tmp_path, ingest_into, rows_of):
    landing, tables = copy_of(first, spark, tmp_path)
    before = {n: rows_of(tables, n) for n in ("accounts", "orders", "quarantine")}
    shutil.copy(landing / "orders" / "orders-1.parquet", landing / "orders" / "copy-of-orders-1.parquet")

    summary = ingest_into(spark, tables, landing)

    assert (summary["files_new"], summary["files_redelivered"], summary["rows_read"]) == (0, 1, 0)
    assert {n: rows_of(tables, n) for n in before} == before
    entry = tables.read("ingest_log").filter("source_file = 'orders/copy-of-orders-1.parquet'").first()
    assert (entry["status"], entry["duplicate_of"], entry["rows_read"]) == ("redelivered", "orders/orders-1.parquet", 0)
    assert ingest_into(spark, tables, landing)["files_redelivered"] == 0  # recorded once


def test_new_files_update_keys_and_count_exact_duplicates_against_bronze(first, spark, tmp_path, ingest_into, lz):
    landing, tables = copy_of(first, spark, tmp_path)
    later = lz.jsonl(landing / "accounts" / "accounts-3.jsonl", [
        {"account_id": "a2", "created_at": "2026-01-02T01:30:00Z", "country": "ES", "is_seller": "true"},  # same
        {"account_id": "a3", "created_at": "2026-01-02T08:00:00Z", "country": "IT"},  # update
    ])

    summary = ingest_into(spark, tables, landing)

    entry = tables.read("ingest_log").filter("source_file = 'accounts/accounts-3.jsonl'").first()
    assert (entry["rows_read"], entry["rows_accepted"], entry["rows_duplicate"]) == (2, 1, 1)
    assert summary["files_new"] == 1 and later.exists()
    assert {r["account_id"]: r["country"] for r in tables.read("accounts").collect()} == {"a1": "FR", "a2": "ES", "a3": "IT"}


def test_an_unreadable_file_is_recorded_as_such(first):
    tables = first.tables

    entry = tables.read("ingest_log").filter("source_file = 'content/broken.parquet'").first()
    assert entry["status"] == "unreadable" and entry["error"].startswith("not a readable Parquet file")
    row = tables.read("quarantine").filter("source_file = 'content/broken.parquet'").first()
    assert row["line"] == 0 and row["raw_record"] is None
    assert row["reasons"][0].startswith("file unreadable: not a readable Parquet file")
