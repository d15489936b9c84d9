"""Catalog names (tables.catalog / tables.schema): validated settings, the statements the delta-spark engine runs
(parsed here by Spark's own SQL parser: the Delta jars are not on this machine, so they cannot be executed), and
the table layer's orchestration of them — each table registered once after its first write, bare names made to
resolve, BI views persisted — through an engine that records the calls. On delta-rs the names are ignored."""

from __future__ import annotations

import datetime as dt

import pytest

from creator_governance.bi import VIEWS, register_all
from creator_governance.config import ConfigError, load_config
from creator_governance.jobargs import config_of, job_parser
from creator_governance.tables import Tables
from creator_governance.tables.deltars import DeltaRsEngine
from creator_governance.tables.deltaspark import register_sql, view_sql


def test_names_are_validated_and_never_over_a_volume(tmp_path):
    cfg = load_config(overrides={"tables": {"catalog": "governance", "schema": "creator_governance",
                                            "lakehouse": "s3://bucket/governance"}})
    assert (cfg.tables.catalog, cfg.tables.schema_name) == ("governance", "creator_governance")
    with pytest.raises(ConfigError, match="tables.catalog needs tables.schema"):
        load_config(overrides={"tables": {"catalog": "governance"}})
    with pytest.raises(ConfigError, match=r"tables.lakehouse is a Unity Catalog volume \(/Volumes/gov/s/lakehouse\)"):
        load_config(overrides={"tables": {"schema": "s", "lakehouse": "/Volumes/gov/s/lakehouse"}})
    with pytest.raises(ConfigError, match="tables.schema: 'a-b' is not a plain identifier"):
        load_config(overrides={"tables": {"schema": "a-b"}})
    # a volume is fine for a lakehouse of paths (no names)
    assert load_config(overrides={"tables": {"lakehouse": "/Volumes/gov/s/lakehouse"}}).tables.schema_name is None


def test_files_beside_the_tables_go_to_a_folder_never_an_object_store(spark, tmp_path, monkeypatch):
    from creator_governance.catalog import TABLES
    from creator_governance.tables import TableError

    local = load_config(overrides={"tables": {"lakehouse": str(tmp_path)}}).tables
    assert local.files_root == str(tmp_path)  # a folder lakehouse keeps its files beside the tables
    named = load_config(overrides={"tables": {"lakehouse": "s3://b/lh", "catalog": "gov", "schema": "cg"}}).tables
    assert named.files_root == "/Volumes/gov/cg/files"
    given = load_config(overrides={"tables": {"lakehouse": "s3://b/lh", "files": "file:///mnt/x"}}).tables
    assert given.files_root == "/mnt/x" and given.folder("_models") == "/mnt/x/_models"
    # a file:// lakehouse keeps its files beside the tables, as a path (not a folder named "file:")
    uri = load_config(overrides={"tables": {"lakehouse": f"file://{tmp_path}"}}).tables
    assert Tables.from_config(spark, uri).folder("_models") == str(tmp_path / "_models")
    # dbfs:/Volumes/… is the volume mounted at /Volumes/…; another dbfs: path is an object store
    volume = load_config(overrides={"tables": {"lakehouse": "dbfs:/Volumes/c/s/v/lh"}}).tables
    assert volume.files_root == "/Volumes/c/s/v/lh"
    assert load_config(overrides={"tables": {"lakehouse": "dbfs:/mnt/lh"}}).tables.files_root is None
    with pytest.raises(ConfigError, match="tables.files: 's3://b/files' is an object store"):
        load_config(overrides={"tables": {"files": "s3://b/files"}})

    bare = Tables.from_config(spark, load_config(overrides={"tables": {"lakehouse": "s3://b/lh"}}).tables)
    with pytest.raises(TableError, match="tables.files: the lakehouse s3://b/lh is an object store"):
        bare.folder("_models")
    assert Tables.from_config(spark, named).folder("_models") == "/Volumes/gov/cg/files/_models"
    # an object store cannot be listed with the filesystem API: the catalog's tables that exist there
    monkeypatch.setattr(DeltaRsEngine, "exists", lambda self, path: path.rsplit("/", 1)[1] in {"alerts", "accounts"})
    assert bare.names() == ["accounts", "alerts"]
    assert {"accounts", "alerts"} <= set(TABLES)


def test_the_cli_options_set_the_names():
    args = job_parser("govern score", "x").parse_args(["--ds", "2026-01-05", "--catalog", "gov", "--schema", "cg",
                                                        "--lakehouse", "s3://b/lh"])
    cfg = config_of(args)
    assert (cfg.tables.catalog, cfg.tables.schema_name, cfg.tables.lakehouse) == ("gov", "cg", "s3://b/lh")
    blank = job_parser("govern score", "x").parse_args(["--ds", "2026-01-05", "--catalog", "", "--schema", " "])
    assert config_of(blank).tables.schema_name is None


def _parsed(spark, statement: str) -> str:
    """The logical plan Spark's parser makes of `statement` (parsing only: no table or datasource is resolved)."""
    return spark._jsparkSession.sessionState().sqlParser().parsePlan(statement).toString()


def test_the_statements_parse_as_spark_sql(spark):
    table = register_sql("`gov`.`cg`.`creator_scores`", "s3://bucket/lh/creator_scores")
    assert table == "CREATE TABLE IF NOT EXISTS `gov`.`cg`.`creator_scores` USING DELTA LOCATION " \
                    "'s3://bucket/lh/creator_scores'"
    plan = _parsed(spark, table)
    assert "CreateTable" in plan and "gov" in plan and "creator_scores" in plan
    for view in VIEWS:
        plan = _parsed(spark, view_sql(f"`gov`.`cg`.`{view.name}`", view.sql, view.meaning + " (it's quoted)"))
        assert "CreateView" in plan and view.name in plan, plan


class RecordingEngine(DeltaRsEngine):
    """delta-rs storage, plus the catalog calls the delta-spark engine makes, recorded instead of run."""

    name = "recording"

    def __init__(self, spark, commit_retries=5):
        super().__init__(spark, commit_retries)
        self.calls: list[tuple] = []

    def register(self, qualified, path):
        self.calls.append(("register", qualified, path))

    def use(self, namespace):
        self.calls.append(("use", namespace))

    def persist_view(self, qualified, query, meaning):
        self.calls.append(("view", qualified))


def test_tables_are_registered_once_and_views_persisted(spark, lakehouse):
    tables = Tables(spark, str(lakehouse), engine="delta-rs", catalog="gov", schema="cg")
    assert not tables.persisted  # delta-rs: names ignored, session views as before
    tables.engine = RecordingEngine(spark)
    tables.namespace = ("gov", "cg")
    day = dt.date(2026, 1, 5)
    frame = spark.createDataFrame([(day, "lqcr", "all", "all", 0.1, 1.0, 10.0, 10.0)],
                                  "ds date, metric string, dimension string, dimension_value string, value double, "
                                  "numerator double, denominator double, effective_denominator double")
    tables.overwrite_partitions("governance_metrics", frame, [day])
    tables.overwrite_partitions("governance_metrics", frame, [day])
    path = tables.path("governance_metrics")
    assert tables.engine.calls == [("register", "`gov`.`cg`.`governance_metrics`", path)]
    spark.catalog.dropTempView("governance_metrics")
    names = register_all(spark, tables)
    assert names == ["governance_metrics", "daily_metrics_total"]
    assert tables.engine.calls[1:] == [("use", ("gov", "cg")), ("view", "`gov`.`cg`.`daily_metrics_total`")]
    assert "governance_metrics" not in {r.viewName for r in spark.sql("SHOW VIEWS").collect() if r.isTemporary}


def test_without_names_the_views_are_session_views(spark, lakehouse):
    tables = Tables(spark, str(lakehouse), engine="delta-rs")
    tables.append("plain", spark.createDataFrame([(1,)], "x int"))
    assert register_all(spark, tables) == ["plain"]
    assert spark.sql("SELECT x FROM plain").first()["x"] == 1
    assert tables.qualified("plain") == "plain"
