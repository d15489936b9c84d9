"""Casting and the contract's rules on hand-made raw frames: every kind of bad value and its message."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import types as T

from creator_governance.contract import ENTITIES
from creator_governance.ingest.validate import with_validated

RAW = T.StructType([T.StructField(c, T.StringType()) for c in ("_file", "_line", "raw_record", "_malformed")])


def raw_frame(spark, entity, rows):
    """Raw rows: dicts of contract columns as text (missing keys are null)."""
    names = ENTITIES[entity].column_names
    schema = T.StructType([*RAW.fields, *[T.StructField(c, T.StringType()) for c in names]])
    data = [("f", str(i + 1), "raw", r.pop("_malformed", None), *[r.get(c) for c in names]) for i, r in enumerate(rows)]
    return spark.createDataFrame(data, schema)


def test_timestamps_in_z_offset_and_naive_forms_are_the_same_utc_instant(spark):
    df = raw_frame(spark, "sessions", [
        {"event_id": "z", "account_id": "a", "device_id": "d", "ts": "2026-01-01T22:30:00Z"},
        {"event_id": "off", "account_id": "a", "device_id": "d", "ts": "2026-01-02T00:30:00+02:00"},
        {"event_id": "naive", "account_id": "a", "device_id": "d", "ts": "2026-01-01 22:30:00"},
        {"event_id": "frac", "account_id": "a", "device_id": "d", "ts": "2026-01-01T17:30:00.000-05:00"},
    ])

    out = df.transform(with_validated, ENTITIES["sessions"]).select("event_id", "ts", "ds", "reasons")

    expected = spark.createDataFrame(
        [(e, dt.datetime(2026, 1, 1, 22, 30), dt.date(2026, 1, 1), []) for e in ("z", "off", "naive", "frac")],
        "event_id string, ts timestamp, ds date, reasons array<string>")
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_each_broken_rule_has_a_readable_reason(spark):
    base = {"order_id": "o", "created_at": "2026-01-01T00:00:00Z", "buyer_id": "b", "seller_id": "s",
            "amount": "3", "status": "completed"}
    df = raw_frame(spark, "orders", [
        {**base, "created_at": None},
        {**base, "created_at": "yesterday"},
        {**base, "created_at": "2026"},
        {**base, "amount": "12abc"},
        {**base, "amount": "NaN"},
        {**base, "amount": "-3"},
        {**base, "status": "lost"},
        {**base, "buyer_id": "  "},
        {**base, "updated_at": "soon"},
        {**base, "_malformed": "malformed JSON line"},
        {**base, "amount": "0", "updated_at": None},
    ])

    out = df.transform(with_validated, ENTITIES["orders"]).select("_line", "reasons")

    expected = spark.createDataFrame([
        ("1", ["created_at: required value missing"]),
        ("2", ["created_at: 'yesterday' is not a timestamp"]),
        ("3", ["created_at: '2026' is not a timestamp"]),
        ("4", ["amount: '12abc' is not a number"]),
        ("5", ["amount: 'NaN' is not a number"]),
        ("6", ["amount: -3 is below the minimum 0"]),
        ("7", ["status: 'lost' is not one of completed, refunded, cancelled"]),
        ("8", ["buyer_id: required value missing"]),
        ("9", ["updated_at: 'soon' is not a timestamp"]),
        ("10", ["malformed JSON line"]),
        ("11", []),
    ], "_line string, reasons array<string>")
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_booleans_defaults_ranges_and_sets(spark):
    base = {"content_id": "c", "creator_id": "a", "created_at": "2026-01-01T00:00:00Z", "content_type": "video"}
    df = raw_frame(spark, "content", [
        {**base, "is_aigc": "TRUE", "quality_score": "1"},
        {**base, "is_aigc": "0", "quality_score": "0.5"},
        {**base},
        {**base, "is_aigc": "yes"},
        {**base, "quality_score": "1.5", "content_type": "photo"},
    ])

    out = df.transform(with_validated, ENTITIES["content"]).select("_line", "is_aigc", "quality_score", "reasons")

    expected = spark.createDataFrame([
        ("1", True, 1.0, []),
        ("2", False, 0.5, []),
        ("3", False, None, []),
        ("4", False, None, ["is_aigc: 'yes' is not a boolean (true/1/false/0)"]),
        ("5", False, 1.5, ["content_type: 'photo' is not one of video, live, listing",
                           "quality_score: 1.5 is above the maximum 1"]),
    ], "_line string, is_aigc boolean, quality_score double, reasons array<string>")
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)
