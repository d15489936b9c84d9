"""Delivery: each entity-day lands as Parquet, JSON Lines or CSV files under `<out>/<entity>/day=<date>/`,
with re-delivered exact duplicates, mixed timestamp spellings in text files and, on request, a share of
contract-breaking rows. File names are deterministic (`part-NNNNN-cNNN.<ext>`), so a seed gives the same files.
"""

from __future__ import annotations

import os
import re
import shutil

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Observation
from pyspark.sql import functions as F

from creator_governance.contract import LANDING_ENTITIES, Entity
from creator_governance.simulator import rng
from creator_governance.simulator.world import World

EXTENSIONS = {"parquet": "parquet", "jsonl": "jsonl", "csv": "csv"}
TS_STYLES = ("yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.SSS'+00:00'", "yyyy-MM-dd HH:mm:ss")
BAD_KINDS = {"parquet": ("missing", "out_of_rule"),
             "csv": ("missing", "out_of_rule", "bad_timestamp", "bad_number"),
             "jsonl": ("missing", "out_of_rule", "bad_timestamp", "bad_number", "malformed", "not_object")}
_PART = re.compile(r"part-(\d+)-.*?(c\d+)?\.[a-z.]+$")


def formats_by_day(w: World, entity: str, days: list[int] | None = None) -> dict[str, list[int]]:
    """Which days (all, or those given) of an entity land in which format (a hash of seed, entity and day)."""
    formats = tuple(w.s.delivery.formats.get(entity) or ("parquet",))
    out: dict[str, list[int]] = {}
    for day in range(w.s.days) if days is None else days:
        index = _stable_hash(f"{w.s.seed}/{entity}/{day}") % len(formats)
        out.setdefault(formats[index], []).append(day)
    return out


def _stable_hash(text: str) -> int:
    h = 1469598103934665603
    for byte in text.encode():
        h = ((h ^ byte) * 1099511628211) % 2**64
    return h


def _broken(e: Entity, column: str, kind: str, text: bool) -> Column | None:
    """The corrupted value of `column` for a bad row of this kind, or None when the column is untouched."""
    c = e.column(column)
    if kind == "missing":
        target = next(n for n in e.required if n != e.key) if len(e.required) > 1 else e.key
        return F.lit(None) if column == target else None
    if kind == "out_of_rule":
        ruled = [x for x in e.columns if x.allowed or x.minimum is not None or x.pattern]
        if not ruled:
            return _broken(e, column, "missing", text)
        if column != ruled[0].name:
            return None
        if c.allowed:
            return F.lit("unknown_value")
        if c.pattern:
            return F.lit("Brazil")
        return F.lit(-1.0 if c.maximum is None else c.maximum + 0.5)
    if kind == "bad_timestamp":
        first_ts = next(x.name for x in e.columns if x.type == "timestamp")
        return F.lit("2026-02-30T25:61:00Z") if column == first_ts else None
    if kind == "bad_number":
        numbers = [x.name for x in e.columns if x.type == "double"]
        if not numbers:
            return _broken(e, column, "bad_timestamp", text)
        return F.lit("12,50 EUR") if column == numbers[0] else None
    return None


def _as_text(e: Entity, style: Column) -> list[Column]:
    """Every contract column as a string, timestamps in one of the ISO-8601 spellings chosen per row."""
    out = []
    for c in e.columns:
        if c.type == "timestamp":
            spelled = F.coalesce(*[F.when(style == i, F.date_format(c.name, fmt)) for i, fmt in enumerate(TS_STYLES)])
            out.append(spelled.alias(c.name))
        else:
            out.append(F.col(c.name).cast("string").alias(c.name))
    return out


def _corrupt(e: Entity, cols: list[Column], kind_col: Column, kinds: tuple[str, ...], text: bool) -> list[Column]:
    fixed = []
    for c, name in zip(cols, e.column_names):
        expr = None
        for kind in kinds:
            value = _broken(e, name, kind, text)
            if value is None:
                continue
            value = value.cast("string") if text else value.cast(c_type(e, name))
            expr = F.when(kind_col == kind, value) if expr is None else expr.when(kind_col == kind, value)
        fixed.append(c if expr is None else expr.otherwise(c).alias(name))
    return fixed


def c_type(e: Entity, name: str) -> str:
    return {"string": "string", "timestamp": "timestamp", "boolean": "boolean", "double": "double"}[e.column(name).type]


def shape(w: World, df: DataFrame, entity: str, fmt: str) -> DataFrame:
    """The rows of one format as written: (`value` for JSON Lines, else the contract columns) and `day`."""
    e = LANDING_ENTITIES[entity]
    key = F.col(e.key)
    kinds = BAD_KINDS[fmt]
    clean = w.s.bad_row_share <= 0.0
    # Draws used by several columns are computed once: inlining them per column makes the generated code,
    # and so the compile and JIT time that dominate small simulations, many times larger.
    df = df.withColumn("_style", rng.below(w.u("ts_style", key), len(TS_STYLES)))
    if not clean:
        df = df.withColumn("_kind", F.when(F.col("_bad"), rng.pick(w.u("bad_kind", key), kinds)))
    kind_col, style = F.col("_kind"), F.col("_style")
    day = F.date_format(F.date_add(F.lit(w.s.start), F.col("day")), "yyyy-MM-dd").alias("day")
    if fmt == "parquet":
        typed_cols = [F.col(n) for n in e.column_names]
        return df.select(*(typed_cols if clean else _corrupt(e, typed_cols, kind_col, kinds, False)), day)
    text_cols = _as_text(e, style)
    typed = [F.col(c.name) if c.type != "timestamp" else t for c, t in zip(e.columns, text_cols)]
    if not clean:
        text_cols = _corrupt(e, text_cols, kind_col, kinds, True)
    if fmt == "csv":
        return df.select(*text_cols, day)
    if clean:
        return df.select(F.to_json(F.struct(*typed)).alias("value"), day)
    line = F.when(F.col("_bad"), F.to_json(F.struct(*text_cols))).otherwise(F.to_json(F.struct(*typed)))
    line = (F.when(kind_col == "malformed", F.substring(line, 1, 25))
            .when(kind_col == "not_object", F.to_json(F.array(key, F.lit("not an object"))))
            .otherwise(line))
    return df.select(line.alias("value"), day)


def write_entity(w: World, entity: str, frame: DataFrame, out: str,
                 days: list[int] | None = None) -> dict[str, dict[str, int]]:
    """Write one entity under `<out>/<entity>/` (only `days` if the rows are known to fall on them); return
    rows, bad rows and duplicates written per format."""
    e = LANDING_ENTITIES[entity]
    key = F.col(e.key)
    d = w.s.delivery
    # Generated once: the first write fills the cache (every day), the other formats and the re-delivered
    # duplicates read it, so the generator's plan is optimised, compiled and run once per entity, not 2-6 times.
    cached = frame.persist(StorageLevel.MEMORY_AND_DISK)
    marked = cached.withColumn("_dup", F.lit(False))
    marked = marked.unionAll(marked.filter(w.u("duplicate", key, F.col("day")) < F.lit(d.duplicate_share))
                             .withColumn("_dup", F.lit(True)))
    marked = marked.withColumn("_bad", w.u("bad_row", key, F.col("day")) < F.lit(w.s.bad_row_share))
    try:
        return _write_formats(w, entity, marked, f"{out}/{entity}", days)
    finally:
        cached.unpersist()


def _write_formats(w: World, entity: str, marked: DataFrame, root: str,
                   only: list[int] | None) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for fmt, days in formats_by_day(w, entity, only).items():
        observation = Observation(f"{entity}_{fmt}")
        part = marked.filter(F.col("day").isin(days)).observe(
            observation, F.count(F.lit(1)).alias("rows"), F.sum(F.col("_bad").cast("long")).alias("bad_rows"),
            F.sum(F.col("_dup").cast("long")).alias("duplicates"))
        staging = f"{root}/_staging_{fmt}"
        writer = shape(w, part, entity, fmt).write.mode("overwrite").partitionBy("day")
        if fmt == "parquet":
            writer.parquet(staging)
        elif fmt == "csv":
            writer.option("header", True).csv(staging)
        else:
            writer.text(staging)
        counts[fmt] = {k: int(v or 0) for k, v in observation.get.items()}
        _publish(w.spark, staging, root, EXTENSIONS[fmt])
    return counts


def _publish(spark, staging: str, root: str, ext: str) -> None:
    """Move the data files out of the staging folder under deterministic names; drop the rest."""
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(staging)
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    if "LocalFileSystem" in str(fs.getClass().getName()):
        fs = fs.getRawFileSystem()  # move the data files only; their .crc side files go with the staging folder
        local = fs.pathToFile(path).getAbsolutePath()
        _publish_local(str(local), str(fs.pathToFile(jvm.org.apache.hadoop.fs.Path(root)).getAbsolutePath()), ext)
        return
    files = fs.listFiles(path, True)
    moves = []
    while files.hasNext():
        status = files.next()
        published = _published_name(status.getPath().getName(), ext)
        if published is not None:
            folder = status.getPath().getParent().getName()
            moves.append((status.getPath(), jvm.org.apache.hadoop.fs.Path(f"{root}/{folder}/{published}")))
    for source, target in moves:
        fs.mkdirs(target.getParent())
        if not fs.rename(source, target):
            raise OSError(f"cannot move {source} to {target}")
        crc = jvm.org.apache.hadoop.fs.Path(target.getParent(), "." + target.getName() + ".crc")
        if fs.exists(crc):  # a local checksum side file: not part of the landing zone
            fs.delete(crc, False)
    fs.delete(path, True)


def _published_name(name: str, ext: str) -> str | None:
    """The landing name of a file Spark wrote (`part-<n>-<chunk>.<ext>`), or None for a file that is not data."""
    match = _PART.match(name)
    if match is None or name.startswith("."):
        return None
    return f"part-{match.group(1)}-{match.group(2) or 'c000'}.{ext}"


def _publish_local(staging: str, root: str, ext: str) -> None:
    """`_publish` on a local folder, with Python's file calls: the Hadoop file system costs a few JVM round trips
    per file (seconds for a demo's landing zone). An existing target is an error (Hadoop's local rename would
    replace it; the simulation empties its folder first, so none exists)."""
    moves = []
    for folder, _dirs, files in os.walk(staging):
        for name in sorted(files):
            published = _published_name(name, ext)
            if published is not None:
                moves.append((os.path.join(folder, name), os.path.join(root, os.path.basename(folder), published)))
    for source, target in moves:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.exists(target):
            raise OSError(f"cannot move {source} to {target}: the target exists")
        os.rename(source, target)
        crc = os.path.join(os.path.dirname(target), "." + os.path.basename(target) + ".crc")
        if os.path.exists(crc):  # a local checksum side file: not part of the landing zone
            os.remove(crc)
    shutil.rmtree(staging)
