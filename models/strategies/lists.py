"""Named allow and deny lists (accounts, devices, fingerprints, sellers) kept as an append-only change log.

Every change is a row of `governance_lists` (add or remove of one value, when, by whom, why); the members of a
list as of any time are the values whose latest change up to then is an add. Backtests ask as of their cut-off.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, functions as F, Window as W

from creator_governance.catalog import schema

LIST_KINDS = ("account", "device", "fingerprint", "seller")
LIST_TYPES = ("allow", "deny")
OPS = ("add", "remove")

CHANGE_SCHEMA = schema("governance_lists")


def build_list_changes(rows: list[dict]) -> list[tuple]:
    """Change rows as tuples in CHANGE_SCHEMA order (validates op, kind and type)."""
    out = []
    for row in rows:
        if row["op"] not in OPS:
            raise ValueError(f"list change: op must be one of {OPS}, got {row['op']!r}")
        if row["list_kind"] not in LIST_KINDS:
            raise ValueError(f"list '{row['list_name']}': kind must be one of {LIST_KINDS}, got {row['list_kind']!r}")
        if row["list_type"] not in LIST_TYPES:
            raise ValueError(f"list '{row['list_name']}': type must be one of {LIST_TYPES}, got {row['list_type']!r}")
        out.append(tuple(row.get(f.name) for f in CHANGE_SCHEMA.fields))
    return out


def current_members(changes: DataFrame, *, as_of: dt.datetime | None = None) -> DataFrame:
    """Members of every list as of `as_of` (all changes when None).

    Columns: list_name, list_kind, list_type, value, added_at.
    """
    if as_of is not None:
        changes = changes.filter(F.col("changed_at") <= F.lit(as_of))
    latest = W.partitionBy("list_name", "value").orderBy(F.col("changed_at").desc(), F.col("change_id").desc())
    return (
        changes.withColumn("rank", F.row_number().over(latest))
        .filter((F.col("rank") == 1) & (F.col("op") == "add"))
        .select("list_name", "list_kind", "list_type", "value", F.col("changed_at").alias("added_at"))
    )
