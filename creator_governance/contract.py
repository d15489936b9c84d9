"""The input contract (shared/CONTRACT.md section 1) as data: entities, keys, columns, types and rules.

A pure leaf: features/ and models/ may import it for column names and bronze schemas.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import types as T

SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "timestamp": T.TimestampType(),
    "boolean": T.BooleanType(),
    "double": T.DoubleType(),
    "date": T.DateType(),
}


@dataclass(frozen=True)
class Column:
    """One contract column: its type, whether a value is required, and the rule a value must meet."""

    name: str
    type: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    default: object | None = None
    default_from: str | None = None  # e.g. orders.updated_at defaults to created_at


@dataclass(frozen=True)
class Entity:
    """A landing-zone entity and its bronze table."""

    name: str
    key: str
    columns: tuple[Column, ...]
    ds_from: str  # the timestamp whose UTC date is `ds`
    version_column: str | None = None  # re-delivered keys: the greatest value wins; None = latest delivery
    key_columns: tuple[str, ...] = ()  # a composite key (e.g. assignments: experiment, unit_id); () = (key,)
    # Bronze is partitioned by ds, except a dimension whose ds is a creation date: one tiny file per day of
    # sign-ups (400 of ~8 KB for 20k accounts) that every read opens. Its ds stays a column.
    partitioned_by_ds: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        """The columns that identify a row: `key_columns`, else the single `key`."""
        return self.key_columns or (self.key,)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def bronze_schema(self) -> T.StructType:
        """Contract columns with their types, then `ds`."""
        fields = [T.StructField(c.name, SPARK_TYPES[c.type], True) for c in self.columns]
        return T.StructType([*fields, T.StructField("ds", T.DateType(), True)])


def _id(name: str) -> Column:
    return Column(name, "string", required=True)


CONTENT_TYPES = ("video", "live", "listing")
ACTIONS = ("view", "like", "comment", "share")
ORDER_STATUSES = ("completed", "refunded", "cancelled")
OUTCOMES = ("violation", "no_violation")
DECISION_SOURCES = ("human", "auto")

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            "accounts", "account_id",
            (
                _id("account_id"),
                Column("created_at", "timestamp", required=True),
                Column("country", "string", pattern=r"^[A-Z]{2}$"),
                Column("is_seller", "boolean", default=False),
                Column("category", "string"),
            ),
            ds_from="created_at", partitioned_by_ds=False,
        ),
        Entity(
            "sessions", "event_id",
            (_id("event_id"), _id("account_id"), Column("ts", "timestamp", required=True), _id("device_id"),
             Column("ip", "string")),
            ds_from="ts",
        ),
        Entity(
            "content", "content_id",
            (
                _id("content_id"),
                _id("creator_id"),
                Column("created_at", "timestamp", required=True),
                Column("content_type", "string", required=True, allowed=CONTENT_TYPES),
                Column("fingerprint", "string"),
                Column("is_aigc", "boolean", default=False),
                Column("quality_score", "double", minimum=0.0, maximum=1.0),
            ),
            ds_from="created_at",
        ),
        Entity(
            "engagements", "event_id",
            (
                _id("event_id"),
                Column("ts", "timestamp", required=True),
                _id("actor_id"),
                _id("content_id"),
                Column("action", "string", required=True, allowed=ACTIONS),
            ),
            ds_from="ts",
        ),
        Entity(
            "orders", "order_id",
            (
                _id("order_id"),
                Column("created_at", "timestamp", required=True),
                _id("buyer_id"),
                _id("seller_id"),
                Column("amount", "double", required=True, minimum=0.0),
                Column("status", "string", required=True, allowed=ORDER_STATUSES),
                Column("updated_at", "timestamp", default_from="created_at"),
                Column("content_id", "string"),
            ),
            ds_from="created_at",
            version_column="updated_at",
        ),
        Entity(
            "reports", "report_id",
            (_id("report_id"), Column("ts", "timestamp", required=True), _id("reporter_id"), _id("target_id"),
             Column("content_id", "string"), Column("reason", "string")),
            ds_from="ts",
        ),
        Entity(
            "decisions", "decision_id",
            (
                _id("decision_id"),
                Column("ts", "timestamp", required=True),
                _id("target_id"),
                Column("policy", "string", required=True),
                Column("outcome", "string", required=True, allowed=OUTCOMES),
                Column("content_id", "string"),
                Column("source", "string", allowed=DECISION_SOURCES),
            ),
            ds_from="ts",
        ),
    )
}

# Landing entities beyond CONTRACT.md section 1 (docs/contract-extensions.md): ingested when their folder
# exists, absent otherwise. Kept out of ENTITIES, which the simulator and its tests treat as the contract's seven.
OPTIONAL_ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        # Experiment assignments (issue 10): a unit can be in several experiments; latest delivery wins.
        Entity(
            "assignments", "unit_id",
            (_id("unit_id"), _id("experiment"), _id("variant"), Column("assigned_at", "timestamp", required=True)),
            ds_from="assigned_at", key_columns=("experiment", "unit_id"),
        ),
    )
}

# Every entity ingestion knows: the contract's seven, then the optional ones.
LANDING_ENTITIES: dict[str, Entity] = {**ENTITIES, **OPTIONAL_ENTITIES}

FORMATS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv"}
