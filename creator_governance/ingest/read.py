"""Read landing files as text-preserving frames: every record keeps its raw text and its line number.

Each format becomes the same raw frame: `_file` (landing-relative path), `_line` (1-based physical line for
JSON Lines and CSV, row number for Parquet), `raw_record`, `_malformed` (why the record could not be parsed,
else null) and every contract column as a string, ready for `validate`. Unknown extra columns are ignored.
One Spark read per entity and format (per CSV header, per Parquet schema), never one per file.
"""

from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from dataclasses import dataclass

from pyspark.errors import AnalysisException
from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.contract import Entity
from creator_governance.ingest.discover import LandingFile

CORRUPT = "_corrupt_record_"
RAW_COLUMNS = ["_file", "_line", "raw_record", "_malformed"]
# Text files up to this size are read whole and split into numbered lines (no extra Spark job per read).
WHOLE_FILE_MAX_BYTES = 64 << 20


@dataclass
class RawRead:
    """The raw frame of an entity's new files (None when no file was readable) and the unreadable files."""

    frame: DataFrame | None
    unreadable: list[tuple[LandingFile, str]]


def read_raw(spark: SparkSession, entity: Entity, files: list[LandingFile], *,
             whole_file_max_bytes: int = WHOLE_FILE_MAX_BYTES) -> RawRead:
    """All `files` of one entity as one raw frame (see module doc); text files up to `whole_file_max_bytes` are
    numbered in place (see `_numbered_lines`)."""
    problems = {f.relative: f.error or _unreadable_name(f) for f in files}
    unreadable = [(f, problems[f.relative]) for f in files if problems[f.relative]]
    files = [f for f in files if not problems[f.relative]]
    frames = []
    json_files = [f for f in files if f.format == "json"]
    if json_files:
        frames.append(_read_json(spark, entity, json_files, whole_file_max_bytes))
    for header, group in _csv_groups(files, unreadable).items():
        frames.append(_read_csv(spark, entity, group, list(header), whole_file_max_bytes))
    for group in _parquet_groups(files, unreadable).values():
        try:
            frames.append(_read_parquet(spark, entity, group))
        except AnalysisException as exc:  # a column type Spark cannot read (e.g. TIME): the files are unreadable
            unreadable += [(f, f"Spark cannot read this Parquet schema: {str(exc).splitlines()[0][:200]}")
                           for f, _ in group]
    frame = None
    for df in frames:
        frame = df if frame is None else frame.unionByName(df)
    broken = {f.relative for f, _ in unreadable}
    if frame is None and any(f.relative not in broken for f in files):
        # Readable files without rows (an empty CSV) are still ingested: logged with zero counts.
        frame = spark.createDataFrame([], T.StructType(
            [T.StructField("_file", T.StringType()), T.StructField("_line", T.LongType())]
            + [T.StructField(c, T.StringType()) for c in RAW_COLUMNS[2:] + entity.column_names]))
    return RawRead(frame, unreadable)


def _unreadable_name(f: LandingFile) -> str | None:
    """Hadoop's local file system cannot open a file whose name holds ':' (its checksum path is parsed as a URI)."""
    if ":" in os.path.basename(f.path):
        return "the file name contains ':', which Spark's file system cannot read; rename the file"
    return None


# ---- JSON Lines ---------------------------------------------------------------------------------------------
def _read_json(spark: SparkSession, entity: Entity, files: list[LandingFile], whole_max: int) -> DataFrame:
    schema = T.StructType([T.StructField(c, T.StringType()) for c in entity.column_names]
                          + [T.StructField(CORRUPT, T.StringType())])
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    # A byte order mark (Windows tools write one) opens the file's first line; it is not part of the JSON.
    text = F.regexp_replace("value", "^\ufeff", "")
    lines = _numbered_lines(spark, files, whole_file_max_bytes=whole_max).filter(F.trim(text) != "")
    parsed = lines.withColumn("_parsed", F.from_json(text, schema, options))
    is_object = F.ltrim(text).startswith("{")
    malformed = (F.when(~is_object, F.lit("not a JSON object"))
                 .when(F.col(f"_parsed.{CORRUPT}").isNotNull() | F.col("_parsed").isNull(), F.lit("malformed JSON line")))
    return parsed.select(
        "_file", "_line", F.col("value").alias("raw_record"), malformed.alias("_malformed"),
        *[F.col(f"_parsed.{c}").alias(c) for c in entity.column_names],
    )


# ---- CSV ----------------------------------------------------------------------------------------------------
def _csv_groups(files: list[LandingFile], unreadable: list) -> dict[tuple[str, ...], list[LandingFile]]:
    """CSV files grouped by header row (files may order their columns differently); empty files skipped."""
    groups: dict[tuple[str, ...], list[LandingFile]] = defaultdict(list)
    for f in files:
        if f.format != "csv":
            continue
        try:
            with open(f.path, encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle), None)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            unreadable.append((f, f"cannot read the CSV header: {exc}"))
            continue
        if header:
            groups[tuple(h.strip() for h in header)].append(f)
        elif _has_text(f.path):
            unreadable.append((f, "no CSV header row: the first line is blank"))
    return groups


def _has_text(path: str) -> bool:
    with open(path, "rb") as handle:
        return any(line.strip() for line in handle)


def _read_csv(spark: SparkSession, entity: Entity, files: list[LandingFile], header: list[str],
              whole_max: int) -> DataFrame:
    # Fields get positional names (any header text works: duplicates, backticks, names differing only in case);
    # a contract column takes the first header field of its exact name, else of its name in another case.
    ddl = ", ".join([f"_c{i} STRING" for i in range(len(header))] + [f"{CORRUPT} STRING"])
    position = {}
    for i, name in reversed(list(enumerate(header))):
        position[name.lower()] = i
    for i, name in reversed(list(enumerate(header))):
        position[name] = i
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT, "escape": '"'}
    lines = (_numbered_lines(spark, files, whole_file_max_bytes=whole_max)
             .filter((F.col("_line") > 1) & (F.trim("value") != "")))
    parsed = lines.withColumn("_parsed", F.from_csv(F.col("value"), F.lit(ddl), options))
    # Records are line-based: an odd number of quotes means a quoted field runs on past the line (or a stray
    # quote); the parser would accept the cut-off start of the field, so the row is rejected instead.
    unbalanced = (F.length("value") - F.length(F.regexp_replace("value", '"', ""))) % 2 == 1
    malformed = (F.when(unbalanced, F.lit("malformed CSV row: unbalanced quotes (a quoted field cannot span lines)"))
                 .when(F.col(f"_parsed.{CORRUPT}").isNotNull(),
                       F.lit(f"malformed CSV row: expected {len(header)} fields as in the header")))

    def field(c: str):
        i = position.get(c, position.get(c.lower()))
        return F.col(f"_parsed._c{i}") if i is not None else F.lit(None).cast("string")

    return parsed.select(
        "_file", "_line", F.col("value").alias("raw_record"), malformed.alias("_malformed"),
        *[field(c).alias(c) for c in entity.column_names],
    )


# ---- Parquet ------------------------------------------------------------------------------------------------
def _parquet_groups(files: list[LandingFile], unreadable: list) -> dict[str, list[tuple[LandingFile, object]]]:
    """Parquet files grouped by schema (one Spark read each); a file whose footer cannot be read is unreadable."""
    import pyarrow.parquet as pq

    groups: dict[str, list] = defaultdict(list)
    for f in files:
        if f.format != "parquet":
            continue
        try:
            schema = pq.read_schema(f.path).remove_metadata()
        except Exception as exc:  # noqa: BLE001 - any footer fault means the whole file is unreadable
            unreadable.append((f, f"not a readable Parquet file: {str(exc).splitlines()[0][:200]}"))
            continue
        names = [n.lower() for n in schema.names]
        clashes = sorted({n for n in schema.names if names.count(n.lower()) > 1})
        if clashes:
            unreadable.append((f, f"columns whose names differ only in case: {', '.join(clashes)}"))
            continue
        groups[str(schema)].append((f, schema))
    return groups


def _read_parquet(spark: SparkSession, entity: Entity, group: list) -> DataFrame:
    import pyarrow as pa

    files = [f for f, _ in group]
    schema = group[0][1]
    nanos = {fld.name for fld in schema if pa.types.is_timestamp(fld.type) and fld.type.unit == "ns"}
    if nanos:  # Spark refuses TIMESTAMP(NANOS) unless read as a long; converted to micros below
        spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
    df = spark.read.parquet(*[_hadoop_path(f.path) for f in files])
    types = dict(df.dtypes)

    def as_text(name: str):
        col = F.col(_quoted_name(name))
        if name in nanos:
            col = F.timestamp_micros(F.floor(col / 1000))
        elif types[name].startswith(("struct", "array", "map")):
            return F.to_json(col)
        return col.cast("string")

    named = {c.lower(): c for c in df.columns}
    out = df.select(
        # metadataColumn: a data column may itself be called `_metadata`
        df.metadataColumn("_metadata").getField("file_path").alias("_uri"),
        (df.metadataColumn("_metadata").getField("row_index") + 1).alias("_line"),
        F.to_json(F.struct(*[F.col(_quoted_name(c)) for c in df.columns])).alias("raw_record"),
        F.lit(None).cast("string").alias("_malformed"),
        *[(as_text(named[c.lower()]) if c.lower() in named else F.lit(None).cast("string")).alias(c)
          for c in entity.column_names],
    )
    return _with_file(out, files).select(*RAW_COLUMNS, *entity.column_names)


# ---- shared -------------------------------------------------------------------------------------------------
def _numbered_lines(spark: SparkSession, files: list[LandingFile], *,
                    whole_file_max_bytes: int = WHOLE_FILE_MAX_BYTES) -> DataFrame:
    """Lines of text files with `_file` and their physical 1-based `_line`, without a shuffle of the data.

    A file up to `whole_file_max_bytes` is read as one value and split into numbered lines in place: no extra
    Spark job. Bigger files are read line by line (Spark may split them into blocks) and numbered by block.
    Lines end at LF, CR LF or a lone CR, as in Spark's text reader.
    """
    whole = [f for f in files if f.size <= whole_file_max_bytes]
    big = [f for f in files if f.size > whole_file_max_bytes]
    frames = []
    if whole:
        exploded = spark.read.text([_hadoop_path(f.path) for f in whole], wholetext=True).select(
            F.col("_metadata.file_path").alias("_uri"),
            F.posexplode(F.split("value", r"\r\n|\r|\n")).alias("_pos", "value"),
        )
        frames.append(exploded.select("_uri", (F.col("_pos") + 1).cast("long").alias("_line"), "value"))
    if big:
        frames.append(_numbered_by_block(spark, big))
    numbered = frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])
    return _with_file(numbered, files)


def _numbered_by_block(spark: SparkSession, files: list[LandingFile]) -> DataFrame:
    """Line numbers of big files: within a Spark block the monotonically increasing id counts up by one per
    line, and a line belongs to the block where it starts. One small aggregate (a row per block) gives each
    block's first id and the number of lines before it, so `_line` = id - first id + lines before + 1."""
    lines = spark.read.text([_hadoop_path(f.path) for f in files]).select(
        F.col("_metadata.file_path").alias("_uri"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_mono"),
        "value",
    )
    blocks = lines.groupBy("_uri", "_block").agg(F.count(F.lit(1)).alias("n"), F.min("_mono").alias("first")).collect()
    by_uri = defaultdict(list)
    for b in blocks:
        by_uri[b["_uri"]].append(b)
    rows = []
    for uri, parts in by_uri.items():
        before = 0
        for b in sorted(parts, key=lambda b: b["_block"]):
            rows.append((uri, int(b["_block"]), int(b["first"]), before))
            before += int(b["n"])
    offsets = spark.createDataFrame(rows, "_uri string, _block long, _first long, _before long")
    return lines.join(F.broadcast(offsets), ["_uri", "_block"], "inner").select(
        "_uri", (F.col("_mono") - F.col("_first") + F.col("_before") + 1).alias("_line"), "value")


def _hadoop_path(path: str) -> str:
    """A local path as Spark reads it literally: Hadoop expands glob characters in paths ({}, [], *, ?)."""
    return re.sub(r"([{}\[\]*?\\])", r"\\\1", path)


def _quoted_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def local_path(uri: SparkColumn) -> SparkColumn:
    """Spark's `file:` URI of a file as its local path: Spark percent-encodes but leaves '+' as is."""
    return F.url_decode(F.regexp_replace(F.regexp_replace(uri, r"\+", "%2B"), "^file:/+", "/"))


def file_lookup(values: dict[str, object], key: SparkColumn) -> SparkColumn:
    """`values[key]` as a literal map lookup (null when absent): a per-file attribute without a join."""
    return F.create_map(*[F.lit(x) for item in values.items() for x in item])[key]


def _with_file(df: DataFrame, files: list[LandingFile]) -> DataFrame:
    """Replace Spark's file URI by the landing-relative path (matched on the local absolute path)."""
    relative = file_lookup({os.path.abspath(f.path): f.relative for f in files}, local_path(F.col("_uri")))
    return df.withColumn("_file", relative).drop("_uri")
