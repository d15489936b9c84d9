"""The Spark session and the job context every job runs in."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import SparkSession

from creator_governance.settings import Config, SparkSettings

log = logging.getLogger("creator_governance")

# Settings the table layer relies on whatever session it runs in (runtime SQL confs, settable at any time).
REQUIRED_SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    # delta-rs, polars and pyarrow read INT64 micros as timestamp[us, UTC]; Spark's default INT96 they do not.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # Partition values come back with the table's declared type, not an inferred one.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}

# JVM options for a short-lived driver (tests, a small simulation): C1 only, as C2 pays off on long tasks. C1 alone
# gets a 48 MB code cache by default, which the generated code of a full daily job run fills; the JVM then stops
# compiling and a task's failure handling dies with "Out of space in CodeCache" (seen in CI on the features job).
QUICK_JIT_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m"

# The JVM's log4j2 configuration when `spark.log_level` is ERROR (or quieter): errors only, one line each.
QUIET_LOG4J = Path(__file__).with_name("log4j2-quiet.properties")
QUIET_LEVELS = {"ERROR", "FATAL", "OFF"}

# Memory page of a local session (driver and executors in one JVM). Spark's default is the execution memory pool /
# cores / 16, rounded up to a power of two and capped at 64 MB: 64 MB with the 4 GB heap on 2 cores. Every task of a
# hash aggregate or sort that gets a row takes at least one page: the tasks of the demo's one-day features step
# peaked at 10 GB of execution memory in all, for 34 MB of tables. With 2 MB pages they peak at 0.5 GB, and that
# command alone (a new JVM) runs about 10 % faster, writing the same rows (docs/performance.md). A larger record
# still gets a page of its own size. A task fails at 8,192 pages, 16 GB of 2 MB pages: more than one task can get
# below a heap of about 27 GB. `spark.conf` can set another value.
# A page is a long[] on the heap, and with G1 (the JVM's default collector) and a 4-8 GB heap the heap is cut into
# 2 MB regions: a page of exactly 2 MB plus the array's 16-byte header would take two regions, so the execution pool
# would fill twice its size of heap and a large job (the 400k history ingest on a 4 GB heap) die of OutOfMemoryError
# instead of spilling. The page is therefore 2 MB less that header: one region exactly (at most half of one, a plain
# object, with a larger heap). Spark takes the header off its own default page under G1 for the same reason, but not
# off a configured one.
LONG_ARRAY_HEADER_BYTES = 16  # Spark's Platform.LONG_ARRAY_OFFSET on a 64-bit JVM
LOCAL_PAGE_BYTES = 2 * 1024 * 1024 - LONG_ARRAY_HEADER_BYTES
LOCAL_PAGE_SIZE = f"{LOCAL_PAGE_BYTES}b"

# What reaches the JVM's stderr outside any logger, dropped in a quiet session: the module system announcing the
# vector API Spark 4 loads; log4j's notice when it falls back to a default profile; netlib's native BLAS probe
# (the Java fallback runs); xgboost's workers announcing their collective rank (native code, any verbosity).
JVM_NOISE = re.compile(r"^(WARNING: Using incubator modules|Using Spark's default log4j profile|"
                       r"Setting default log level to|To adjust logging level use|netlib-blas: |"
                       r"\[\d{2}:\d{2}:\d{2}\] Task \d+ got rank \d+)")


def get_spark(settings: SparkSettings | None = None) -> SparkSession:
    """The active session (Databricks, spark-submit, a test) or a new one built from `settings`."""
    settings = settings or SparkSettings()
    active = SparkSession.getActiveSession()
    if active is not None:
        _apply_sql_conf(active, settings)
        _quiet_duplicate_errors()
        return active
    if os.environ.get("SPARK_REMOTE"):
        # Spark Connect (pyspark's own variable, e.g. sc://host:15002): the server owns master, memory and
        # logging; only session (SQL) settings apply.
        spark = SparkSession.builder.remote(os.environ["SPARK_REMOTE"]).getOrCreate()
        _apply_sql_conf(spark, settings)
        return spark
    options = {"spark.app.name": settings.app_name}
    ours = "PYSPARK_GATEWAY_PORT" not in os.environ
    # `--verbose` (DEBUG logging) shows the JVM's own lines, as does any `spark.log_level` above ERROR.
    verbose = logging.getLogger().isEnabledFor(logging.DEBUG)
    quiet = ours and settings.log_level.upper() in QUIET_LEVELS and not verbose
    if ours:
        # Started by us, not by spark-submit (which owns master, driver memory and the driver's address).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Workers must run this interpreter (it has pyarrow); a system python would not.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        java_options = "-Dderby.system.home=" + os.path.abspath(".spark")
        if quiet:
            java_options += f" -Dlog4j.configurationFile={QUIET_LOG4J.as_uri()}"
        options |= {
            "spark.master": settings.master,
            "spark.driver.memory": settings.driver_memory,
            "spark.driver.bindAddress": os.environ["SPARK_LOCAL_IP"],
            "spark.driver.host": os.environ["SPARK_LOCAL_IP"],
            "spark.ui.enabled": "false",
            "spark.sql.warehouse.dir": os.path.abspath(os.path.join(".spark", "warehouse")),
            "spark.driver.extraJavaOptions": java_options,
        }
        if settings.master.startswith("local"):
            options["spark.buffer.pageSize"] = LOCAL_PAGE_SIZE
    options |= {"spark.ui.showConsoleProgress": "false",
                "spark.sql.shuffle.partitions": str(settings.shuffle_partitions), **REQUIRED_SQL_CONF, **settings.conf}
    if quiet:
        _launch_filtered_gateway(options)
    builder = SparkSession.builder
    for key, value in options.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN" if verbose and settings.log_level.upper() in QUIET_LEVELS
                                   else settings.log_level)
    _quiet_duplicate_errors()
    return spark


def _launch_filtered_gateway(options: dict[str, str]) -> None:
    """Start the JVM ourselves (as pyspark would, with the same options) with its stderr read by a thread that
    forwards every line except JVM_NOISE: what the JVM prints before log4j is configured cannot be silenced by
    any log level. Python workers' output and errors still come through. No-op when a gateway exists."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:
        return
    conf = SparkConf(loadDefaults=False).setAll(list(options.items()))
    gateway = launch_gateway(conf, popen_kwargs={"stderr": subprocess.PIPE})
    proc = gateway.proc

    def pump() -> None:
        for raw in iter(proc.stderr.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            if not JVM_NOISE.match(line):
                sys.stderr.write(line)
                sys.stderr.flush()

    threading.Thread(target=pump, name="jvm-stderr", daemon=True).start()
    SparkContext._ensure_initialized(gateway=gateway, conf=conf)


def _quiet_duplicate_errors() -> None:
    """pyspark logs every failed query once more on stderr (logger SQLQueryContextLogger); the CLI already
    reports it in one line."""
    logging.getLogger("SQLQueryContextLogger").disabled = True


def _apply_sql_conf(spark: SparkSession, settings: SparkSettings) -> None:
    for key, value in REQUIRED_SQL_CONF.items():
        spark.conf.set(key, value)
    spark.conf.set("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
    for key, value in settings.conf.items():
        if key.startswith("spark.sql."):
            spark.conf.set(key, value)


class NotReady(RuntimeError):
    """A job's inputs are not there yet (no labels to train on, no model to score with): a failure when the
    job is asked for on the command line, a skipped step inside `govern run`."""


@dataclass(frozen=True)
class JobContext:
    """What a job's `run` receives: the session, the table layer and the validated config."""

    spark: SparkSession
    tables: "Tables"  # noqa: F821 - imported lazily to keep session start cheap
    cfg: Config


def open_context(cfg: Config) -> JobContext:
    """Start (or join) the session and open the lakehouse named in the config. Inside a state-changing
    `govern` command (a writer scope) the lakehouse's lock is taken first, waiting up to
    `tables.lock_timeout_s` for another job (see creator_governance.lock)."""
    from creator_governance.lock import hold
    from creator_governance.tables import Tables

    hold(cfg.tables.lakehouse, cfg.tables.lock_timeout_s)
    spark = get_spark(cfg.spark)
    return JobContext(spark=spark, tables=Tables.from_config(spark, cfg.tables), cfg=cfg)


def is_connect(spark) -> bool:
    """True for a Spark Connect session (no SparkContext on the client)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


@contextmanager
def spark_work(spark, name: str, description: str) -> Iterator[None]:
    """Name the Spark work done inside: the job group `name` with `description` in the Spark UI on classic Spark,
    the tag `name` on Spark Connect (the one place that branches between them). Restores the previous labels."""
    if is_connect(spark):
        tag = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "govern"
        spark.addTag(tag)
        try:
            yield
        finally:
            spark.removeTag(tag)
        return
    sc = spark.sparkContext
    before = {key: sc.getLocalProperty(key) for key in ("spark.jobGroup.id", "spark.job.description")}
    sc.setJobGroup(name, description, interruptOnCancel=False)
    try:
        yield
    finally:
        for key, value in before.items():
            sc.setLocalProperty(key, value)
