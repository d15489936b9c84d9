"""Schema helpers shared by both engines: comparison that ignores nullability, and Delta/Arrow conversion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.tables.errors import SchemaMismatch


def type_signature(schema: T.StructType) -> dict[str, str]:
    """Column name to type, nullability left out (aggregates and casts change it freely)."""
    return {field.name: field.dataType.simpleString() for field in schema.fields}


def check_compatible(table: str, table_schema: T.StructType, incoming: T.StructType, *,
                     allow_added: bool = False) -> list[T.StructField]:
    """Raise `SchemaMismatch` naming every missing, unexpected and retyped column. With `allow_added`, columns
    the incoming data adds (and nothing else differs) are returned instead: the caller adds them to the table."""
    have, got = type_signature(table_schema), type_signature(incoming)
    missing = [c for c in have if c not in got]
    unexpected = [c for c in got if c not in have]
    retyped = [f"{c} (table {have[c]}, incoming {got[c]})" for c in have if c in got and have[c] != got[c]]
    if allow_added and unexpected and not missing and not retyped:
        return [f for f in incoming.fields if f.name in unexpected]
    if missing or unexpected or retyped:
        parts = []
        if missing:
            parts.append(f"missing columns {missing}")
        if unexpected:
            parts.append(f"unexpected columns {unexpected}")
        if retyped:
            parts.append(f"type changed: {', '.join(retyped)}")
        raise SchemaMismatch(f"table '{table}': incoming data does not match its schema: {'; '.join(parts)}")
    return []


def conform(df: DataFrame, table_schema: T.StructType) -> DataFrame:
    """The incoming frame with the table's column order (itself when already in that order: a projection built
    column by column costs a few JVM round trips per column)."""
    names = table_schema.fieldNames()
    return df if df.columns == names else df.select(*names)


def is_flat(schema: T.StructType) -> bool:
    """Whether every column is a plain value: no array, map or struct, no timestamp without time zone."""
    nested = (T.ArrayType, T.MapType, T.StructType, T.TimestampNTZType)
    return not any(isinstance(f.dataType, nested) for f in schema.fields)


def all_nullable(schema: T.StructType) -> T.StructType:
    """The schema with every top-level column nullable, so later nulls never need a schema change."""
    return T.StructType([T.StructField(f.name, f.dataType, True, f.metadata) for f in schema.fields])


def to_arrow(schema: T.StructType):
    """Spark schema to a pyarrow schema with UTC timestamps."""
    import inspect

    from pyspark.sql.pandas.types import to_arrow_schema

    # pyspark 4.2 names the zone (`timezone`); 4.0 only has the flag `timestamp_utc` (UTC either way).
    utc = {"timezone": "UTC"} if "timezone" in inspect.signature(to_arrow_schema).parameters else {"timestamp_utc": True}
    arrow = to_arrow_schema(all_nullable(schema), prefers_large_types=False, **utc)
    # column comments (tables.catalog) travel as field metadata into the Delta schema
    noted = {f.name: f.metadata["comment"] for f in schema.fields if f.metadata.get("comment")}
    if not noted:
        return arrow
    import pyarrow as pa

    return pa.schema([f.with_metadata({"comment": noted[f.name]}) if f.name in noted else f for f in arrow])


def from_arrow(arrow_schema) -> T.StructType:
    """pyarrow schema to a Spark schema."""
    from pyspark.sql.pandas.types import from_arrow_schema

    spark_schema = all_nullable(from_arrow_schema(arrow_schema))
    noted = {f.name: f.metadata[b"comment"].decode() for f in arrow_schema if f.metadata and b"comment" in f.metadata}
    if not noted:
        return spark_schema
    return T.StructType([T.StructField(f.name, f.dataType, f.nullable, {**f.metadata, "comment": noted[f.name]})
                         if f.name in noted else f for f in spark_schema.fields])


def partition_literal(value) -> str:
    """A partition value as Delta stores it: ISO dates, plain strings."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def partition_literals(values: Iterable) -> list[str]:
    """Distinct partition values as sorted strings."""
    return sorted({partition_literal(v) for v in values})


def as_filter(column: str, op: str, value):
    """A partition predicate (`in`, `=`, `>=`, `<=`, `>`, `<` on the value as text) as a Spark condition."""
    col = F.col(column).cast("string")
    if op == "in":
        return col.isin(list(value))
    return {"=": col == value, ">=": col >= value, "<=": col <= value, ">": col > value, "<": col < value}[op]
