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
    """Adds `_duplicate` and `_winner` (both false for invalid rows).

    `df` is the validated frame with `_delivery` and `_line`; `existing` the bronze rows (key and contract
    columns) this batch could duplicate, already stripped of rows that came from the batch's own files.
    """
    key = entity.key
    valid = df.filter(is_valid()).withColumn("_row_hash", row_hash(entity))
    if existing is not None:
        known = (existing.select(key, row_hash(entity).alias("_row_hash")).distinct()
                 .withColumn("_in_bronze", F.lit(True)))
        valid = valid.join(known, on=[key, "_row_hash"], how="left")
    else:
        valid = valid.withColumn("_in_bronze", F.lit(None).cast("boolean"))
    by_content = W.partitionBy(key).orderBy("_row_hash", "_delivery", "_line")
    is_repeat = F.lag("_row_hash").over(by_content) == F.col("_row_hash")
    valid = valid.withColumn("_duplicate", F.coalesce(is_repeat, F.lit(False)) | F.coalesce("_in_bronze", F.lit(False)))
    version = [F.col(entity.version_column).desc_nulls_last()] if entity.version_column else []
    latest = W.partitionBy(key).orderBy(F.col("_duplicate").asc(), *version, F.col("_delivery").desc(), F.col("_line").desc())
    valid = valid.withColumn("_winner", ~F.col("_duplicate") & (F.row_number().over(latest) == 1))
    invalid = (df.filter(~is_valid()).withColumn("_duplicate", F.lit(False)).withColumn("_winner", F.lit(False)))
    return valid.drop("_row_hash", "_in_bronze").unionByName(invalid)


def build_bronze_rows(classified: DataFrame, entity: Entity) -> DataFrame:
    """The winners as bronze rows: contract columns, `ds`, and the checksum of the file each came from."""
    return classified.filter("_winner").select(*entity.column_names, "ds", SOURCE)
