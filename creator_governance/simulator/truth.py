"""Ground truth beside the landing zone (`<out>_truth/`): bad accounts, incidents, and the run manifest."""

from __future__ import annotations

import json

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from creator_governance.simulator.world import World


def build_bad_accounts(w: World) -> DataFrame:
    """Every planted bad account: account_id, pattern, group_id, camouflaged."""
    v = F.col("v")
    return w.accounts_range().filter(w.pop.is_bad(v)).select(
        w.pop.account_id(v).alias("account_id"),
        w.pop.pattern(v).alias("pattern"),
        w.pop.group_id(v).alias("group_id"),
        w.pop.camouflaged(v).alias("camouflaged"),
    )


def write_single_file(df: DataFrame, fmt: str, target: str) -> None:
    """Write a small frame as exactly one file at `target` (Parquet or CSV with a header)."""
    spark = df.sparkSession
    staging = target + "._staging"
    writer = df.coalesce(1).write.mode("overwrite")
    (writer.parquet(staging) if fmt == "parquet" else writer.option("header", True).csv(staging))
    fs, path = filesystem(spark, staging)
    parts = [s.getPath() for s in fs.listStatus(path) if s.getPath().getName().startswith("part-")]
    target_path = spark._jvm.org.apache.hadoop.fs.Path(target)
    fs.delete(target_path, False)
    if len(parts) == 1:
        fs.rename(parts[0], target_path)
        crc = spark._jvm.org.apache.hadoop.fs.Path(target_path.getParent(), "." + target_path.getName() + ".crc")
        if fs.exists(crc):
            fs.delete(crc, False)
    fs.delete(path, True)


def filesystem(spark: SparkSession, location: str):
    """The Hadoop filesystem and path of a location (local paths and URIs alike)."""
    path = spark._jvm.org.apache.hadoop.fs.Path(location)
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    if "LocalFileSystem" in str(fs.getClass().getName()):
        fs = fs.getRawFileSystem()  # no .crc side files beside the truth
    return fs, path


def write_json(spark: SparkSession, location: str, body) -> None:
    fs, path = filesystem(spark, location)
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(json.dumps(body, indent=2, sort_keys=True, default=str).encode() + b"\n"))
    finally:
        stream.close()


def read_json(spark: SparkSession, location: str):
    """A small JSON file's content, or None when absent."""
    fs, path = filesystem(spark, location)
    if not fs.exists(path):
        return None
    return json.loads("\n".join(r.value for r in spark.read.text(location, wholetext=True).collect()))


def prepare_outputs(spark: SparkSession, out: str, truth: str) -> None:
    """Clear a previous simulation at `out`; refuse to touch a non-empty folder that is not one."""
    fs, out_path = filesystem(spark, out)
    _, manifest = filesystem(spark, f"{truth}/manifest.json")
    if fs.exists(out_path) and len(fs.listStatus(out_path)) > 0 and not fs.exists(manifest):
        raise ValueError(f"{out} exists and is not a simulated landing zone (no {truth}/manifest.json); "
                         "choose a new or empty folder")
    for location in (out, truth):
        fs.delete(filesystem(spark, location)[1], True)
    fs.mkdirs(out_path)
    fs.mkdirs(filesystem(spark, truth)[1])
