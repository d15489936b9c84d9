"""The bundle's daily task, driven through the `govern` entry point on a small simulation: on a day when training is
not due, train is a skipped step and every later step still runs; the day recorded is the resolved `yesterday`
(slow: simulates, ingests, trains, then runs the whole daily chain)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from deltalake import DeltaTable
from pyspark.sql import functions as F

from creator_governance.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LATER_STEPS = ["score", "strategies", "queue", "metrics", "monitor", "dashboard", "maintain"]


def govern(*argv: str) -> int:
    """`govern ARGV` in-process, as the wheel task's entry point runs it; the exit code."""
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def daily_task_argv(**job_parameters: str) -> list[str]:
    """The daily wheel task's parameters from databricks.yml, with its `{{job.parameters.X}}` filled in."""
    bundle = yaml.safe_load((ROOT / "databricks.yml").read_text())
    job = bundle["resources"]["jobs"]["governance_daily"]
    (task,) = job["tasks"]
    assert task["python_wheel_task"]["entry_point"] == "govern"
    declared = {p["name"] for p in job["parameters"]}
    assert set(job_parameters) == declared
    return [re.sub(r"\{\{job\.parameters\.(\w+)\}\}", lambda m: job_parameters[m.group(1)], p)
            for p in task["python_wheel_task"]["parameters"]]


@pytest.fixture(scope="module")
def world(small_world):
    return small_world("not_due", seed=21)


def test_a_not_due_train_day_runs_the_rest_of_the_chain(spark, world):
    from creator_governance.tables import Tables

    shared = ["--env", "demo", "--conf", world["conf"], "--lakehouse", world["lakehouse"]]
    started = dt.datetime.now(dt.timezone.utc)
    trained_as_of = world["start"] + dt.timedelta(days=11)
    assert govern("ingest", "--landing", world["landing"], *shared) == 0
    assert govern("train", "--ds", trained_as_of.isoformat(), *shared) == 0
    tables = Tables(spark, world["lakehouse"], engine="delta-rs")
    registry = tables.read("model_registry").collect()
    assert [(r.status, r.as_of) for r in registry] == [("approved", trained_as_of)]  # so training is not due

    # The scheduled run that started the day after next: --ds yesterday --as-of <start date>.
    day = trained_as_of + dt.timedelta(days=1)
    # The catalog names are the bundle's too; the delta-rs engine keeps the tables as paths (docs/deployment.md).
    argv = daily_task_argv(ds="yesterday", as_of=(day + dt.timedelta(days=1)).isoformat(), env="demo",
                           conf=world["conf"], lakehouse=world["lakehouse"], landing=world["landing"],
                           catalog="governance_dev", schema="creator")
    assert argv[:3] == ["run", "--mode", "daily"]
    assert govern(*argv) == 0

    runs = tables.read("pipeline_runs")
    alone = runs.filter(F.col("ds") == trained_as_of).collect()
    assert [(r.step, r.status) for r in alone] == [("train", "success")]  # the train started on its own, recorded
    ran_on = {r.ds for r in runs.filter(F.col("step") == "ingest").collect()} - {day}
    assert ran_on <= {started.date(), dt.datetime.now(dt.timezone.utc).date()}  # ingest alone: the UTC date it ran
    assert len(ran_on) == 1
    runs = runs.filter(~F.col("ds").isin(trained_as_of, *ran_on))
    assert {r.ds for r in runs.select("ds").distinct().collect()} == {day}  # the resolved yesterday
    status = {r.step: (r.status, r.error) for r in runs.collect()}
    assert status["train"] == ("skipped", None)  # not due: a skip, not a failure
    assert status["features"][0] == "success"
    for step in LATER_STEPS:
        assert status[step] == ("success", None), (step, status[step])
    assert tables.partition_rows("creator_scores", day) > 0
    assert tables.read("model_registry").count() == 1  # nothing was retrained
    scored_by = tables.read("creator_scores", ds=[day]).select("model_version").distinct().collect()
    assert [r.model_version for r in scored_by] == [registry[0].version]
    assert tables.read("governance_metrics", ds=[day]).filter(F.col("dimension") == "all").count() > 0
    # the metrics' union is merged into the demo's 4 shuffle partitions: a few files a day, not one per branch
    written = DeltaTable(str(Path(world["lakehouse"]) / "governance_metrics")).file_uris([("ds", "=", day.isoformat())])
    assert 0 < len(written) <= 4
