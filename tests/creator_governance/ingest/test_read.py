"""Each format read into the raw frame: line numbers, raw text, header order, nested folders, outside tools."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from chispa import assert_df_equality

from creator_governance.contract import ENTITIES
from creator_governance.ingest.discover import discover, fingerprint
from creator_governance.ingest.read import read_raw
from creator_governance.ingest.validate import with_validated

COLUMNS = ["_file", "_line", "event_id", "ts", "reasons"]
SCHEMA = "_file string, _line long, event_id string, ts timestamp, reasons array<string>"


def read_validated(spark, landing):
    files = fingerprint(discover(str(landing), ["engagements"]), {})
    raw = read_raw(spark, ENTITIES["engagements"], files)
    return raw, raw.frame.transform(with_validated, ENTITIES["engagements"])


def test_parquet_from_pyarrow_with_nanosecond_naive_and_zoned_timestamps(spark, tmp_path, lz):
    root = tmp_path / "landing"
    common = {"actor_id": ["a", "a"], "content_id": ["c", "c"], "action": ["view", "like"], "other": [1, 2]}
    lz.parquet(root / "engagements" / "zoned" / "ns.parquet", pa.table({
        "event_id": ["n1", "n2"], **common,
        "ts": pa.array([dt.datetime(2026, 1, 1, 10), dt.datetime(2026, 1, 1, 11)], pa.timestamp("ns", tz="UTC"))}))
    lz.parquet(root / "engagements" / "naive.parquet", pa.table({
        "ts": pa.array([dt.datetime(2026, 1, 1, 10), None], pa.timestamp("us")), "event_id": ["u1", "u2"], **common}))

    raw, out = read_validated(spark, root)

    expected = spark.createDataFrame([
        ("engagements/zoned/ns.parquet", 1, "n1", dt.datetime(2026, 1, 1, 10), []),
        ("engagements/zoned/ns.parquet", 2, "n2", dt.datetime(2026, 1, 1, 11), []),
        ("engagements/naive.parquet", 1, "u1", dt.datetime(2026, 1, 1, 10), []),
        ("engagements/naive.parquet", 2, "u2", None, ["ts: required value missing"]),
    ], SCHEMA)
    assert_df_equality(out.select(COLUMNS), expected, ignore_row_order=True, ignore_nullable=True)
    assert raw.unreadable == []


def test_csv_files_with_different_column_orders_and_bad_rows(spark, tmp_path, lz):
    root = tmp_path / "landing"
    lz.csv(root / "engagements" / "a" / "b" / "one.csv", ["event_id", "ts", "actor_id", "content_id", "action"],
           [["e1", "2026-01-01T10:00:00Z", "a", "c", "view"]], raw_lines=["e2,2026-01-01T10:00:00Z,a"])
    lz.csv(root / "engagements" / "two.csv", ["action", "content_id", "note", "actor_id", "ts", "event_id"],
           [["like", "c", "extra, with comma", "a", "2026-01-01T12:00:00+02:00", "e3"]])

    _, out = read_validated(spark, root)

    expected = spark.createDataFrame([
        ("engagements/a/b/one.csv", 2, "e1", dt.datetime(2026, 1, 1, 10), []),
        # the fields that did parse are kept, but the row is rejected for its field count
        ("engagements/a/b/one.csv", 3, "e2", dt.datetime(2026, 1, 1, 10),
         ["malformed CSV row: expected 5 fields as in the header"]),
        ("engagements/two.csv", 2, "e3", dt.datetime(2026, 1, 1, 10), []),
    ], SCHEMA)
    assert_df_equality(out.select(COLUMNS), expected, ignore_row_order=True, ignore_nullable=True)


def test_json_lines_keep_raw_text_and_physical_line_numbers(spark, tmp_path, lz):
    root = tmp_path / "landing"
    lz.jsonl(root / "engagements" / "e.json", [
        {"event_id": "e1", "ts": "2026-01-01T10:00:00", "actor_id": "a", "content_id": "c", "action": "view"},
        "", '"just a string"', '{"event_id": "e2", "ts": 5}'])

    _, out = read_validated(spark, root)

    rows = {r["_line"]: r for r in out.collect()}
    assert sorted(rows) == [1, 3, 4]
    assert rows[3]["reasons"] == ["not a JSON object"] and rows[3]["raw_record"] == '"just a string"'
    assert "ts: '5' is not a timestamp" in rows[4]["reasons"]
    assert rows[1]["ts"] == dt.datetime(2026, 1, 1, 10) and rows[1]["reasons"] == []
