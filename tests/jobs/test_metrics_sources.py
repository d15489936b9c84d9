"""`govern metrics` registers only the tables its definitions declare in `source_tables`, and a definition whose
SQL reads an undeclared table fails naming the metric and the table."""

from __future__ import annotations

import datetime as dt

import pytest

from creator_governance.config import load_config
from creator_governance.runtime import JobContext

D = dt.date(2026, 1, 5)


def definition(name: str, sources: list[str], rows: str) -> dict:
    return {"name": name, "description": name, "kind": "count", "source_tables": sources, "rows": rows,
            "numerator": "1", "dimensions": ["country"]}


def context(spark, tables, lakehouse, declared, definitions: list[dict]) -> JobContext:
    created = dt.datetime(2026, 1, 1, 8)
    tables.append("accounts", declared("accounts", [
        {"account_id": a, "created_at": created, "country": c, "is_seller": False, "ds": created.date()}
        for a, c in (("a1", "US"), ("a2", "BR"))]))
    tables.append("decisions", declared("decisions", [
        {"decision_id": "d1", "ts": dt.datetime(2026, 1, 5, 9), "target_id": "a1", "policy": "spam",
         "outcome": "violation", "ds": D}]))
    cfg = load_config(overrides={"tables": {"lakehouse": str(lakehouse)},
                                 "metrics": {"definitions": definitions, "ehi": {"components": []}}})
    return JobContext(spark=spark, tables=tables, cfg=cfg)


def test_only_the_declared_tables_become_views(spark, tables, lakehouse, declared):
    from creator_governance.jobs import metrics

    for view in ("accounts", "decisions"):
        spark.catalog.dropTempView(view)
    ctx = context(spark, tables, lakehouse, declared, [definition(
        "violations", ["decisions"],
        "SELECT ds, target_id AS account_id FROM decisions WHERE outcome = 'violation' "
        "AND ds BETWEEN {ds_from} AND {ds_to}")])
    summary = metrics.run(ctx, [D])
    assert summary["computed"] == ["violations"]
    total = ctx.tables.read("governance_metrics").filter("dimension = 'all'").collect()
    assert [(r["metric"], r["value"]) for r in total] == [("violations", 1.0)]
    views = {r.viewName for r in spark.sql("SHOW VIEWS").collect() if r.isTemporary}
    assert "decisions" in views and "accounts" not in views  # accounts exists, but no definition declares it


def test_a_table_read_but_not_declared_is_named(spark, tables, lakehouse, declared):
    """Even when an earlier command of the session (`govern sql`) left a view of it: a stale file list."""
    from creator_governance.jobs import metrics

    ctx = context(spark, tables, lakehouse, declared, [definition(
        "sellers", ["decisions"],
        "SELECT ds, account_id FROM accounts WHERE ds BETWEEN {ds_from} AND {ds_to}")])
    tables.register_views()
    with pytest.raises(RuntimeError, match=r"metric sellers: its rows read a table that is not a view: `accounts`; "
                                           r"name every .*source_tables \(declared: decisions\)"):
        metrics.run(ctx, [D])
