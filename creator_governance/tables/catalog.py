"""The table catalog (creator_governance/catalog.py) applied to writes: the declared columns and partition are
checked, and what each table means is written into the table itself, by both engines, so `DESCRIBE TABLE`,
Unity Catalog and the Delta log (read with `deltalake`) show it — each column's one-line comment as Delta field
metadata (`comment`), the table's one-line description as its Delta `description`, and the change data feed
(`delta.enableChangeDataFeed`) on the tables consumers follow change by change.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.catalog import TABLES, schema
from creator_governance.tables.errors import SchemaMismatch, TableError


def description(table: str) -> str | None:
    """The table's one-line description (None when the catalog does not declare it)."""
    return TABLES[table].description if table in TABLES else None


def grain(table: str) -> list[str]:
    """The key columns of `table` (its catalog grain): what `upsert` merges on by default."""
    if table not in TABLES:
        raise TableError(f"table '{table}': upsert needs keys (the table is not in the table catalog)")
    return list(TABLES[table].grain)


def declared_schema(table: str) -> T.StructType:
    """The catalog's columns of `table` as a StructType (a table it does not declare is an error)."""
    if table not in TABLES:
        raise TableError(f"table '{table}' is not in the table catalog (creator_governance/catalog.py): "
                         "give its schema")
    return schema(table)


def table_properties(table: str) -> dict[str, str]:
    """The Delta table properties the table must have."""
    return {"delta.enableChangeDataFeed": "true"} if table in TABLES and TABLES[table].change_data_feed else {}


def comments(table: str) -> dict[str, str]:
    """column -> comment of `table` (empty when the catalog does not declare it)."""
    return {c.name: c.comment for c in TABLES[table].columns} if table in TABLES else {}


def partition_columns(table: str, requested: list[str] | None) -> list[str] | None:
    """The partition columns a new table is created with: the catalog's (a writer asking for others is refused),
    else `requested` (None: the layer's default)."""
    if table not in TABLES:
        return requested
    declared = list(TABLES[table].partition_by)
    if requested is not None and list(requested) != declared:
        raise TableError(f"table '{table}' is partitioned by {declared or 'nothing'} in the table catalog "
                         f"(creator_governance/catalog.py), not {list(requested) or 'nothing'}")
    return declared


def check_declared(table: str, incoming: T.StructType) -> None:
    """Refuse data whose columns or types differ from the catalog's declaration of `table` (an open table may carry
    columns beyond its listed ones), naming every difference. Nothing to check for a table it does not declare."""
    declared = TABLES.get(table)
    if declared is None:
        return
    got = {f.name: f.dataType.simpleString() for f in incoming.fields}
    missing = [c.name for c in declared.columns if c.name not in got]
    retyped = [f"{c.name} (catalog {c.type}, incoming {got[c.name]})" for c in declared.columns
               if c.name in got and got[c.name] != c.type]
    listed = {c.name for c in declared.columns}
    unexpected = [] if declared.open_columns else [c for c in got if c not in listed]
    if missing or unexpected or retyped:
        parts = ([f"missing columns {missing}"] if missing else []) + (
            [f"columns not in the catalog {unexpected}"] if unexpected else []) + (
            [f"type differs: {', '.join(retyped)}"] if retyped else [])
        raise SchemaMismatch(f"table '{table}': the data does not match its declaration in the table catalog "
                             f"(creator_governance/catalog.py): {'; '.join(parts)}")


def as_declared(table: str, df: DataFrame) -> DataFrame:
    """`df` shaped as the catalog declares `table`: its columns cast to their declared types, the declared columns
    it lacks null, the others dropped (for hand-made rows: tests, backfills)."""
    return df.select(*[(F.col(c.name) if c.name in df.columns else F.lit(None)).cast(c.type).alias(c.name)
                       for c in TABLES[table].columns])


def with_comments(table: str, df: DataFrame, order: list[str] | None = None) -> DataFrame:
    """`df` whose columns carry the catalog's comments as field metadata (other metadata kept), in `order` (a
    table's column order) when given; `df` itself when both already hold. A frame of flat columns gets one
    projection (`DataFrame.to` a schema of its own types, nullability and metadata): an alias per column costs a
    few JVM round trips each, on every write. A frame with array, map or struct columns keeps the aliases:
    `DataFrame.to` rebuilds such columns value by value (an identity `transform` per array), work per row."""
    known = comments(table)
    names = list(order) if order is not None else df.columns
    fields = {f.name: f for f in df.schema.fields}
    if names == df.columns and all(fields[c].metadata.get("comment") == known[c] for c in names if c in known):
        return df

    def metadata(c: str) -> dict:
        return {**fields[c].metadata, **({"comment": known[c]} if c in known else {})}

    if any(isinstance(fields[c].dataType, (T.ArrayType, T.MapType, T.StructType)) for c in names):
        return df.select(*[F.col(c).alias(c, metadata=metadata(c)) if c in known else F.col(c) for c in names])
    return df.to(T.StructType([T.StructField(c, fields[c].dataType, fields[c].nullable, metadata(c))
                               for c in names]))
