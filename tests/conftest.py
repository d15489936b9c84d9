"""Shared fixtures: one Spark session for the whole run, a fresh lakehouse per test, a row factory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def free_port():
    """A function returning a TCP port free on 127.0.0.1 now (for servers a test starts: a cluster, Connect)."""
    import socket

    def port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def benchmark_script():
    """`benchmark_script(name)`: the module of `benchmarks/<name>.py`, loaded from its file (the benchmark scripts
    are not a package)."""
    import importlib.util

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "benchmarks"
                                                      / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """A small, quiet local session: UTC, one shuffle partition, no UI."""
    from pyspark.sql import SparkSession

    from creator_governance.runtime import QUICK_JIT_OPTIONS, REQUIRED_SQL_CONF

    warehouse = tmp_path_factory.mktemp("warehouse")
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("creator-governance-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.extraJavaOptions",
                f"-XX:+UseSerialGC {QUICK_JIT_OPTIONS} -Dderby.system.home={warehouse}")
    )
    for key, value in REQUIRED_SQL_CONF.items():
        builder = builder.config(key, value)
    if os.environ.get("GOVERN_TEST_CODEGEN") != "1":
        # On the tests' frames of a few rows, compiling each query's generated Java costs more than running it:
        # evaluated interpreted (whole-stage and expression code generation off; the second is a setting Spark keeps
        # for its own tests), tests/models/test_queue.py takes 95 s instead of 120 s, and the suite's test seconds
        # fall by about a seventh. Every test passes both ways; the one difference met is that Spark 4.2 cannot
        # decode `spark.catalog.listTables()` rows interpreted (no job calls it; the tests use SHOW VIEWS).
        # Production keeps code generation, and so does CI, which sets GOVERN_TEST_CODEGEN=1 for every stage, as
        # anyone can to run the suite as production runs. Sessions started in a subprocess (console, kill and crash
        # tests, the Thrift server, spark-submit) never use this fixture.
        builder = builder.config("spark.sql.codegen.wholeStage", "false").config(
            "spark.sql.codegen.factoryMode", "NO_CODEGEN")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture()
def lakehouse(tmp_path) -> Path:
    """An empty lakehouse root for one test."""
    root = tmp_path / "lakehouse"
    root.mkdir()
    return root


@pytest.fixture()
def tables(spark, lakehouse):
    """The table layer on the delta-rs engine over a fresh lakehouse."""
    from creator_governance.tables import Tables

    return Tables(spark, str(lakehouse), engine="delta-rs")


def make_rows(base: dict, overrides: list[dict]) -> list[dict]:
    """Wide test rows: each override changes a few columns of `base`."""
    return [{**base, **o} for o in overrides]


@pytest.fixture(scope="module")
def small_world(spark, tmp_path_factory):
    """`small_world(name, seed)`: a simulated landing zone of 500 accounts x 14 days (demo config, delta-rs, a
    quick auto-approved model) for the slow end-to-end tests; a dict of root, conf (the overlay), landing,
    lakehouse and start (the first simulated day)."""
    import yaml

    from creator_governance.config import load_config
    from creator_governance.simulator import simulate

    def make(name: str, seed: int) -> dict:
        root = tmp_path_factory.mktemp(name)
        overlay = root / "small.yaml"
        overlay.write_text(yaml.safe_dump({
            "simulator": {"accounts": 500, "days": 14, "seed": seed},
            "tables": {"engine": "delta-rs"},
            "model": {"training": {"n_estimators": 15, "num_workers": 1, "early_stopping_rounds": 5,
                                   "max_depth": 3, "auto_approve": True, "min_pr_auc": 0.0}},
        }))
        cfg = load_config(env="demo", conf_file=str(overlay))
        simulate(spark, cfg.simulator, str(root / "landing"))
        return {"root": root, "conf": str(overlay), "lakehouse": str(root / "lakehouse"),
                "landing": str(root / "landing"), "start": cfg.simulator.start}

    return make


@pytest.fixture(scope="session")
def declared(spark):
    """`declared(table, rows)`: a frame of the table catalog's schema of `table` from dicts holding the columns a
    test cares about (the others null), so hand-made rows can be written through the table layer, which refuses
    anything but the declared columns."""
    from creator_governance.catalog import TABLES, schema

    def frame(table: str, rows: list[dict]):
        columns = [c.name for c in TABLES[table].columns]
        unknown = sorted({k for row in rows for k in row} - set(columns))
        if unknown:
            raise KeyError(f"{table} declares no column {unknown}")
        return spark.createDataFrame([tuple(row.get(c) for c in columns) for row in rows], schema(table))
    return frame
