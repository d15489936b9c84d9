"""Raw device ids and IPs stay in bronze: no derived table and no dashboard shows one."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from creator_governance.tables.catalog import as_declared

# Tables that hold raw identifiers by design (docs/privacy.md): the bronze entities and the quarantine.
RAW_TABLES = {"accounts", "sessions", "content", "engagements", "orders", "reports", "decisions", "quarantine"}
TOKEN = re.compile(r"[A-Za-z0-9_.:\-]+")


def raw_identifiers(lakehouse) -> set[str]:
    """Every distinct device id and IP of the bronze sessions."""
    from deltalake import DeltaTable

    sessions = DeltaTable(os.path.join(lakehouse, "sessions")).to_pyarrow_table(columns=["device_id", "ip"])
    return {v for c in ("device_id", "ip") for v in sessions.column(c).to_pylist() if v}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def leaks(lakehouse, raw: set[str]) -> dict[str, set[str]]:
    """Raw identifiers found per derived table (any string cell, inside arrays and structs too, as a token)
    and per dashboard page."""
    import pyarrow as pa
    from deltalake import DeltaTable

    found: dict[str, set[str]] = {}
    for name in sorted(os.listdir(lakehouse)):
        path = os.path.join(lakehouse, name)
        if name in RAW_TABLES or not os.path.isdir(os.path.join(path, "_delta_log")):
            continue
        table = DeltaTable(path).to_pyarrow_table()
        text_columns = [f.name for f in table.schema if not pa.types.is_floating(f.type)
                        and not pa.types.is_integer(f.type) and not pa.types.is_temporal(f.type)]
        hits = {t for c in text_columns for v in table.column(c).to_pylist() for s in _strings(v)
                for t in TOKEN.findall(s) if t in raw}
        if hits:
            found[name] = hits
    pages = os.path.join(lakehouse, "_dashboard")
    for page in sorted(os.listdir(pages)) if os.path.isdir(pages) else []:
        with open(os.path.join(pages, page), encoding="utf-8", errors="replace") as f:
            hits = set(TOKEN.findall(f.read())) & raw
        if hits:
            found[f"_dashboard/{page}"] = hits
    return found


def test_the_scan_finds_a_planted_leak(spark, tables, lakehouse):
    """The scanner below is only worth its silence if it would shout: a gold table and a page that leak."""
    day = dt.date(2026, 1, 1)
    tables.append("sessions", as_declared("sessions", spark.createDataFrame(
        [("e1", "a1", "dv0000483m", "100.43.249.58", day), ("e2", "a2", "dv0000025", None, day)],
        "event_id string, account_id string, device_id string, ip string, ds date")))
    tables.append("syndicates", as_declared("syndicates", spark.createDataFrame(
        [(day, "S-a1", ["a1", "a2"], ["shared device dv0000483m"])],
        "ds date, syndicate_id string, members array<string>, shared_signals array<string>")))
    tables.append("quarantine", as_declared("quarantine", spark.createDataFrame(
        [("sessions", '{"ip": "100.43.249.58"}')], "entity string, raw_record string")))
    (lakehouse / "_dashboard").mkdir()
    (lakehouse / "_dashboard" / "2026-01-01.html").write_text("<td>100.43.249.58</td><td>dv0000025x</td>")

    raw = raw_identifiers(str(lakehouse))
    assert leaks(str(lakehouse), raw) == {"syndicates": {"dv0000483m"}, "_dashboard/2026-01-01.html": {"100.43.249.58"}}


@pytest.mark.slow
def test_no_raw_device_or_ip_outside_bronze_after_a_pipeline(spark, tmp_path):
    """Simulate a small ecosystem, run the whole pipeline, then scan every derived table and the dashboard."""
    from creator_governance.config import load_config
    from creator_governance.runtime import JobContext
    from creator_governance.simulator import simulate
    from creator_governance.tables import Tables
    from creator_governance.jobs import run as pipeline

    lakehouse = tmp_path / "lakehouse"
    # The demo env's model settings (7-day labels, 28-day training window) let four weeks train a model, so
    # scores, reasons and syndicates are scanned too.
    cfg = load_config(env="demo", overrides={"simulator": {"accounts": 800, "days": 28, "seed": 3},
                                             "tables": {"lakehouse": str(lakehouse), "engine": "delta-rs"}})
    simulate(spark, cfg.simulator, str(tmp_path / "landing"))
    ctx = JobContext(spark=spark, tables=Tables.from_config(spark, cfg.tables), cfg=cfg)
    days = [cfg.simulator.start + dt.timedelta(days=i) for i in range(cfg.simulator.days)]
    pipeline.run(ctx, pipeline.Plan(days=days, mode="backfill", landing=str(tmp_path / "landing")))

    raw = raw_identifiers(str(lakehouse))
    derived = {n for n in ctx.tables.names() if n not in RAW_TABLES}
    assert len(raw) > 100
    assert {"creator_features", "content_features", "creator_scores", "strategy_hits", "governance_metrics"} <= derived
    assert list((lakehouse / "_dashboard").glob("*.html")), "the pipeline rendered no dashboard"
    assert leaks(str(lakehouse), raw) == {}
