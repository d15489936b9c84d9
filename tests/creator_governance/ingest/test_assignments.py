"""The optional `assignments` entity (docs/contract-extensions.md): key (experiment, unit_id), latest delivery wins."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality
from pyspark.sql import types as T

BRONZE = T.StructType([
    T.StructField("unit_id", T.StringType()),
    T.StructField("experiment", T.StringType()),
    T.StructField("variant", T.StringType()),
    T.StructField("assigned_at", T.TimestampType()),
    T.StructField("ds", T.DateType()),
])


def test_assignments_are_keyed_by_experiment_and_unit_and_the_latest_delivery_wins(spark, tmp_path, lz, ingest, tables):
    landing = tmp_path / "landing"
    accounts = lz.jsonl(landing / "accounts" / "a.jsonl", [
        {"account_id": "u1", "created_at": "2026-01-01T00:00:00Z"},
        {"account_id": "u2", "created_at": "2026-01-01T00:00:00Z"}])
    first = lz.csv(landing / "assignments" / "2026-01-02.csv", ["unit_id", "experiment", "variant", "assigned_at"], [
        ["u1", "exp_a", "control", "2026-01-02T09:00:00Z"],
        ["u1", "exp_b", "treatment", "2026-01-02T10:00:00Z"],  # same unit, another experiment: its own row
        ["u2", "exp_a", "treatment", "2026-01-02T11:00:00Z"],
        ["u9", "exp_a", "", "2026-01-02T12:00:00Z"],  # variant missing: quarantined
    ])
    later = lz.jsonl(landing / "assignments" / "nested" / "2026-01-03.jsonl", [
        {"unit_id": "u2", "experiment": "exp_a", "variant": "control", "assigned_at": "2026-01-03T08:00:00Z"},
        {"unit_id": "u3", "experiment": "exp_b", "variant": "control", "assigned_at": "2026-01-03T08:00:00+01:00"},
    ])
    lz.touch_in_order(accounts, first, later)

    summary = ingest(landing)

    actual = tables.read("assignments").drop("_source_sha256")
    expected = spark.createDataFrame([
        ("u1", "exp_a", "control", dt.datetime(2026, 1, 2, 9), dt.date(2026, 1, 2)),
        ("u1", "exp_b", "treatment", dt.datetime(2026, 1, 2, 10), dt.date(2026, 1, 2)),
        ("u2", "exp_a", "control", dt.datetime(2026, 1, 3, 8), dt.date(2026, 1, 3)),  # re-delivered: latest wins
        ("u3", "exp_b", "control", dt.datetime(2026, 1, 3, 7), dt.date(2026, 1, 3)),
    ], BRONZE)
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True, ignore_metadata=True)
    assert (summary["rows_read"], summary["rows_accepted"], summary["rows_quarantined"]) == (8, 7, 1)
    bad = tables.read("quarantine").filter("entity = 'assignments'").collect()
    assert [(r["source_file"], r["line"], r["reasons"]) for r in bad] == [
        ("assignments/2026-01-02.csv", 5, ["variant: required value missing"])]
    dq = {(r["entity"], r["metric"], r["column_name"]): r for r in tables.read("data_quality").collect()}
    gap = dq[("assignments", "referential_gap", "unit_id")]
    # Counted over the run's winners: u1 twice and u2 are known accounts, u3 is not.
    assert (gap["numerator"], gap["denominator"], gap["reference"]) == (1, 4, "accounts.account_id")


def test_a_later_run_replaces_a_redelivered_pair_and_keeps_the_others(spark, tmp_path, lz, ingest, tables):
    landing = tmp_path / "landing"
    first = lz.jsonl(landing / "assignments" / "1.jsonl", [
        {"unit_id": "u1", "experiment": "exp_a", "variant": "control", "assigned_at": "2026-01-02T09:00:00Z"},
        {"unit_id": "u1", "experiment": "exp_b", "variant": "control", "assigned_at": "2026-01-02T09:00:00Z"}])
    lz.touch_in_order(first)
    ingest(landing)
    second = lz.jsonl(landing / "assignments" / "2.jsonl", [
        {"unit_id": "u1", "experiment": "exp_a", "variant": "treatment", "assigned_at": "2026-01-02T09:00:00Z"}])
    lz.touch_in_order(first, second)

    summary = ingest(landing)

    assert (summary["files_new"], summary["rows_accepted"], summary["rows_duplicate"]) == (1, 1, 0)
    variants = {(r["experiment"], r["unit_id"]): r["variant"] for r in tables.read("assignments").collect()}
    assert variants == {("exp_a", "u1"): "treatment", ("exp_b", "u1"): "control"}


def test_a_landing_zone_without_assignments_creates_no_assignments_table(tmp_path, lz, ingest, tables):
    landing = tmp_path / "landing"
    lz.touch_in_order(lz.jsonl(landing / "accounts" / "a.jsonl", [
        {"account_id": "u1", "created_at": "2026-01-01T00:00:00Z"}]))

    summary = ingest(landing)

    assert summary["files_new"] == 1 and not tables.exists("assignments")
    assert "assignments" not in {r["entity"] for r in tables.read("data_quality").collect()}
