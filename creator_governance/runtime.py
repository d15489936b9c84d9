"""The Spark session and the job context every job runs in."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass

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


def get_spark(settings: SparkSettings | None = None) -> SparkSession:
    """The active session (Databricks, spark-submit, a test) or a new one built from `settings`."""
    settings = settings or SparkSettings()
    active = SparkSession.getActiveSession()
    if active is not None:
        _apply_sql_conf(active, settings)
        _quiet_duplicate_errors()
        return active
    builder = SparkSession.builder.appName(settings.app_name)
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        # Started by us, not by spark-submit (which owns master, driver memory and the driver's address).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # Workers must run this interpreter (it has pyarrow); a system python would not.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            builder.master(settings.master)
            .config("spark.driver.memory", settings.driver_memory)
            .config("spark.driver.bindAddress", os.environ["SPARK_LOCAL_IP"])
            .config("spark.driver.host", os.environ["SPARK_LOCAL_IP"])
            .config("spark.ui.enabled", "false")
            .config("spark.sql.warehouse.dir", os.path.abspath(os.path.join(".spark", "warehouse")))
            .config("spark.driver.extraJavaOptions", "-Dderby.system.home=" + os.path.abspath(".spark"))
        )
    builder = builder.config("spark.ui.showConsoleProgress", "false").config(
        "spark.sql.shuffle.partitions", str(settings.shuffle_partitions)
    )
    for key, value in {**REQUIRED_SQL_CONF, **settings.conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(settings.log_level)
    _quiet_duplicate_errors()
    return spark


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


def setup_logging(verbose: bool = False) -> None:
    """Plain log lines on stderr; py4j and Spark chatter kept down."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for chatty in ("py4j", "XGBoost-PySpark"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
