"""Corrupted and truncated landing files are quarantined (file named, line where there is one); the rest ingests."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
from chispa import assert_df_equality
from pyspark.sql import functions as F

N = 40
GARBAGE = bytes(range(256)) * 8  # NULs, control bytes, invalid UTF-8: no parser can make rows of it
SESSION_COLS = ["event_id", "account_id", "ts", "device_id"]


def ingest(spark, tables, landing) -> dict:
    from creator_governance.runtime import JobContext
    from creator_governance.settings import Config
    from creator_governance.jobs import ingest as job

    cfg = Config.model_validate({"tables": {"lakehouse": tables.root}})
    return job.run(JobContext(spark=spark, tables=tables, cfg=cfg), str(landing))


def engagement(i: int) -> dict:
    return {"event_id": f"e{i}", "ts": "2026-01-03T10:00:00Z", "actor_id": f"a{i % 7}", "content_id": "c1",
            "action": "like"}


def write_landing(root):
    """Good files in each format, and beside them: garbage bytes named .parquet and .jsonl, and a Parquet, a
    JSON Lines and a CSV file cut in the middle of a record."""
    for d in ("accounts", "sessions", "engagements"):
        (root / d).mkdir(parents=True)
    accounts = pa.table({"account_id": [f"a{i}" for i in range(N)],
                         "created_at": pa.array([dt.datetime(2025, 12, 1)] * N, pa.timestamp("us"))})
    pq.write_table(accounts, root / "accounts" / "good.parquet")
    pq.write_table(accounts, root / "accounts" / "cut.parquet")
    whole = (root / "accounts" / "cut.parquet").read_bytes()
    (root / "accounts" / "cut.parquet").write_bytes(whole[: len(whole) // 2])
    (root / "accounts" / "garbage.parquet").write_bytes(GARBAGE)

    csv_lines = [",".join(SESSION_COLS)] + [f"s{i},a{i % N},2026-01-02T10:00:00Z,d{i % 5}" for i in range(N)]
    (root / "sessions" / "good.csv").write_text("\n".join(csv_lines) + "\n")
    cut_csv = [",".join(SESSION_COLS)] + [f"t{i},a{i % N},2026-01-02T11:00:00Z,d{i % 5}" for i in range(N)]
    text = "\n".join(cut_csv)
    (root / "sessions" / "cut.csv").write_text(text[: text.rindex(",2026-01-02T11") + 8])  # last row: 2 of 4 fields

    lines = [json.dumps(engagement(i)) for i in range(N)]
    (root / "engagements" / "good.jsonl").write_text("\n".join(lines) + "\n")
    more = [json.dumps(engagement(i)) for i in range(N, 2 * N)]
    text = "\n".join(more)
    (root / "engagements" / "cut.jsonl").write_text(text[: len(text) - 20])  # no newline: cut mid-object
    (root / "engagements" / "garbage.jsonl").write_bytes(GARBAGE[::-1])  # other bytes: not a re-delivery


def test_corrupt_and_truncated_files_are_quarantined_and_the_rest_ingests(spark, tables, tmp_path):
    landing = tmp_path / "landing"
    write_landing(landing)

    summary = ingest(spark, tables, landing)

    log = {r["source_file"]: r for r in tables.read("ingest_log").collect()}
    quarantine = tables.read("quarantine")
    # Whole files that cannot be read: one quarantine row, line 0, the reason names the fault.
    for name in ("accounts/cut.parquet", "accounts/garbage.parquet"):
        assert log[name]["status"] == "unreadable" and "Parquet" in log[name]["error"], log[name]
        rows = quarantine.filter(F.col("source_file") == name).collect()
        assert [(r["line"], r["raw_record"]) for r in rows] == [(0, None)], rows
        assert rows[0]["reasons"][0].startswith("file unreadable: not a readable Parquet file"), rows[0]["reasons"]
    # Files cut mid-record: every whole record accepted, the cut one quarantined with its line number.
    expected = spark.createDataFrame([
        ("sessions", "sessions/cut.csv", N + 1, ["malformed CSV row: expected 4 fields as in the header"]),
        ("engagements", "engagements/cut.jsonl", N, ["malformed JSON line"]),
    ], "entity string, source_file string, line long, reasons array<string>")
    cut = quarantine.filter(F.col("source_file").endswith("cut.csv") | F.col("source_file").endswith("cut.jsonl"))
    assert_df_equality(cut.select(*expected.columns), expected, ignore_row_order=True, ignore_nullable=True,
                       ignore_metadata=True)
    assert log["sessions/cut.csv"]["rows_accepted"] == N - 1
    assert log["engagements/cut.jsonl"]["rows_accepted"] == N - 1
    # Garbage named .jsonl: read line by line, every line quarantined, none accepted.
    garbage = log["engagements/garbage.jsonl"]
    assert garbage["rows_accepted"] == 0 and garbage["rows_read"] == garbage["rows_quarantined"] > 0
    reasons = quarantine.filter(F.col("source_file") == "engagements/garbage.jsonl").select(
        F.explode("reasons").alias("reason")).distinct().collect()
    assert {r["reason"] for r in reasons} <= {"malformed JSON line", "not a JSON object"}
    # Every good file ingested in full, and the bronze tables hold exactly the accepted rows.
    for name in ("accounts/good.parquet", "sessions/good.csv", "engagements/good.jsonl"):
        assert (log[name]["status"], log[name]["rows_accepted"], log[name]["rows_quarantined"]) == ("ingested", N, 0)
    assert tables.row_count("accounts") == N
    assert tables.row_count("sessions") == 2 * N - 1
    assert tables.row_count("engagements") == 2 * N - 1
    # Reconciliation per file and overall.
    for r in log.values():
        if r["status"] == "ingested":
            assert r["rows_read"] == r["rows_accepted"] + r["rows_quarantined"] + r["rows_duplicate"], r
    assert summary["rows_read"] == summary["rows_accepted"] + summary["rows_quarantined"] + summary["rows_duplicate"]
