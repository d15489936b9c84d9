"""Exact duplicates and the winning row per key.

Delivery order: files by (modification time, landing path) — `_delivery`, a rank — then line. A valid row is
an exact duplicate when a row with the same key and identical contract values came earlier in the batch or is
already in bronze (from a file outside this batch). Among the other rows of a key the winner is the greatest
`version_column` (orders: `updated_at`), then the latest delivery; without a version column the latest
delivery wins (accounts and the event entities). Only winners go to the bronze upsert.
"""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, Window as W
from pyspark.sql import functions as F

from creator_governance.contract import Entity
from creator_governance.ingest.validate import is_valid

SOURCE = "_source_sha256"


def row_hash(entity: Entity) -> SparkColumn:
    """A 64-bit hash of the contract values, compared only between rows of the same key."""
    return F.xxhash64(*[F.col(c) for c in entity.column_names])


def with_classes(df: DataFrame, entity: Entity, *, existing: DataFrame | None = None) -> DataFrame:
    """Adds `_duplicate` and `_winner` (both false for invalid rows); `raw_record` is kept for invalid rows only
    (the quarantine's), so valid rows do not carry their text through the shuffle.

    `df` is the validated frame with `_delivery` and `_line`; `existing` the bronze rows (key and contract
    columns) this batch could duplicate, already stripped of rows that came from the batch's own files.
    One pass over `df`: invalid rows ride along in windows of their own (`_valid` is part of the partition).
    """
    keys = list(entity.keys)
    valid = is_valid()
    rows = df.select(*[F.when(~valid, F.col(c)).alias(c) if c == "raw_record" else F.col(c) for c in df.columns],
                     valid.alias("_valid"), F.when(valid, row_hash(entity)).alias("_row_hash"))
    if existing is not None:
        known = (existing.select(*keys, row_hash(entity).alias("_row_hash")).distinct()
                 .withColumn("_in_bronze", F.lit(True)))
        rows = rows.join(known, on=[*keys, "_row_hash"], how="left")
    else:
        rows = rows.withColumn("_in_bronze", F.lit(None).cast("boolean"))
    by_content = W.partitionBy("_valid", *keys).orderBy("_row_hash", "_delivery", "_line")
    is_repeat = F.lag("_row_hash").over(by_content) == F.col("_row_hash")
    is_duplicate = F.col("_valid") & (F.coalesce(is_repeat, F.lit(False)) | F.coalesce("_in_bronze", F.lit(False)))
    rows = rows.withColumn("_duplicate", is_duplicate)
    # The winner is the greatest (version, delivery, line) of the key's non-duplicates: an unordered window over
    # the same partition reuses the sort above (a row_number over another order would sort every row again).
    rank = F.struct(*([F.col(entity.version_column)] if entity.version_column else []), "_delivery", "_line")
    best = F.max(F.when(~F.col("_duplicate"), rank)).over(W.partitionBy("_valid", *keys))
    is_winner = F.col("_valid") & ~F.col("_duplicate") & (rank == best)
    return rows.withColumn("_winner", is_winner).select(*df.columns, "_duplicate", "_winner")


def build_bronze_rows(classified: DataFrame, entity: Entity) -> DataFrame:
    """The winners as bronze rows: contract columns, `ds`, and the checksum of the file each came from."""
    return classified.filter("_winner").select(*entity.column_names, "ds", SOURCE)
