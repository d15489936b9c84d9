"""Data-quality metrics of one ingest run: referential gaps, null rates and late events per entity.

Referential gaps are kept in bronze (the contract says so) and only counted here: rows of this run whose
reference (e.g. `engagements.content_id`) matches no key of the referenced bronze table after this run.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.catalog import schema
from creator_governance.contract import Entity

# entity -> (column, referenced entity, referenced key). Entities are ingested in INGEST_ORDER, so accounts and
# content of the same run count as known.
REFERENCES: dict[str, list[tuple[str, str, str]]] = {
    "accounts": [],
    "content": [("creator_id", "accounts", "account_id")],
    "sessions": [("account_id", "accounts", "account_id")],
    "engagements": [("content_id", "content", "content_id"), ("actor_id", "accounts", "account_id")],
    "orders": [("seller_id", "accounts", "account_id"), ("buyer_id", "accounts", "account_id"),
               ("content_id", "content", "content_id")],
    "reports": [("reporter_id", "accounts", "account_id"), ("target_id", "accounts", "account_id"),
                ("content_id", "content", "content_id")],
    "decisions": [("target_id", "accounts", "account_id"), ("content_id", "content", "content_id")],
    "assignments": [("unit_id", "accounts", "account_id")],
}
# The optional `assignments` comes last: a landing zone without it ingests exactly as before.
INGEST_ORDER = ["accounts", "content", "sessions", "engagements", "orders", "reports", "decisions", "assignments"]

METRICS_SCHEMA = schema("data_quality")


def quality_metrics(
    rows: DataFrame,
    entity: Entity,
    *,
    references: dict[str, DataFrame],
    latest_ds_before: dt.date | None,
    late_after_days: int,
) -> list[dict]:
    """Metric dicts (entity, metric, column_name, reference, numerator, denominator, value) for `rows`.

    `rows` are the rows this run accepted as winners; `references` maps a referenced entity to its bronze
    keys. Late events: rows whose `ds` is more than `late_after_days` before the latest `ds` bronze held
    before this run (none on a first load).
    """
    optional = [c.name for c in entity.columns if not c.required]
    checks = REFERENCES.get(entity.name, [])
    df = rows
    for i, (column, target, key) in enumerate(checks):
        known = references[target].select(F.col(key).alias(f"_ref_{i}"))
        df = df.join(known, on=F.col(column) == F.col(f"_ref_{i}"), how="left")
    aggs = [F.count(F.lit(1)).alias("rows")]
    aggs += [F.count_if(F.col(c).isNull()).alias(f"null_{c}") for c in optional]
    aggs += [F.count_if(F.col(column).isNotNull()).alias(f"refd_{i}") for i, (column, _, _) in enumerate(checks)]
    aggs += [F.count_if(F.col(column).isNotNull() & F.col(f"_ref_{i}").isNull()).alias(f"gap_{i}")
             for i, (column, _, _) in enumerate(checks)]
    if latest_ds_before is not None:
        cutoff = latest_ds_before - dt.timedelta(days=late_after_days)
        aggs.append(F.count_if(F.col("ds") < F.lit(cutoff)).alias("late"))
    else:
        aggs.append(F.lit(0).cast("long").alias("late"))
    totals = df.agg(*aggs).first().asDict()
    n = int(totals["rows"])

    def metric(name, column, reference, numerator, denominator):
        value = numerator / denominator if denominator else None
        return {"entity": entity.name, "metric": name, "column_name": column, "reference": reference,
                "numerator": int(numerator), "denominator": int(denominator), "value": value}

    out = [metric("rows_accepted", None, None, n, n)]
    out += [metric("null_rate", c, None, totals[f"null_{c}"], n) for c in optional]
    out += [metric("referential_gap", column, f"{target}.{key}", totals[f"gap_{i}"], totals[f"refd_{i}"])
            for i, (column, target, key) in enumerate(checks)]
    out.append(metric("late_events", entity.ds_from, None, totals["late"], n))
    return out
