"""Notebooks are thin launchers that call real entry points, one per step of `govern run`."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import yaml

from creator_governance.jobs.notebook import WIDGET_OPTIONS, argv_from_widgets
from creator_governance.jobs.registry import PIPELINE, job

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


def test_there_is_a_notebook_per_daily_step():
    assert [p.stem.split("_", 1)[1] for p in NOTEBOOKS] == ["ingest", *PIPELINE]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_databricks_source_and_calls_only_existing_functions(path):
    text = path.read_text()
    assert text.startswith("# Databricks notebook source\n")
    assert "# COMMAND ----------" in text
    tree = ast.parse(text)  # parses as Python
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.module == "creator_governance.jobs", \
                f"{path.name} imports from {node.module}: launchers call jobs only"
            for alias in node.names:
                imported[alias.asname or alias.name] = importlib.import_module(f"creator_governance.jobs.{alias.name}")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id in imported]
    assert calls, f"{path.name} calls no job"
    for call in calls:
        assert callable(getattr(imported[call.func.value.id], call.func.attr, None)), ast.unparse(call)
    launched = [c.args[0].value for c in calls if c.func.attr == "launch"]
    for name in launched:
        assert callable(job(name).main)
    widgets = [c.args[0].value for c in ast.walk(tree) if isinstance(c, ast.Call)
               and ast.unparse(c.func) == "dbutils.widgets.text"]
    assert set(widgets) <= set(WIDGET_OPTIONS)


def test_notebooks_launch_the_pipeline_steps_in_govern_run_order():
    """The bundle schedules `govern run` (tests/test_bundle.py); the notebooks, for running one step by hand,
    follow the same steps in the same order."""
    launched = []
    for path in NOTEBOOKS:
        tree = ast.parse(path.read_text())
        (call,) = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "notebook.launch"]
        launched.append(call.args[0].value)
    assert launched == ["ingest", *PIPELINE]
    bundle = yaml.safe_load((ROOT / "databricks.yml").read_text())
    assert all("python_wheel_task" in task for job in bundle["resources"]["jobs"].values() for task in job["tasks"])


def test_widgets_become_job_arguments():
    assert argv_from_widgets({"ds": "2026-01-05", "conf": " ", "env": "cluster"}) == [
        "--ds", "2026-01-05", "--env", "cluster"]


def test_the_dashboard_notebook_displays_the_page_it_rendered(tmp_path):
    from types import SimpleNamespace

    from creator_governance.jobs.notebook import dashboard_html

    (tmp_path / "_dashboard").mkdir()
    (tmp_path / "_dashboard" / "latest.html").write_text("<html>the page</html>", encoding="utf-8")
    values = {"ds": "2026-01-05", "env": "", "conf": "", "lakehouse": str(tmp_path)}
    dbutils = SimpleNamespace(widgets=SimpleNamespace(get=values.__getitem__))
    assert dashboard_html(dbutils, widgets=tuple(values)) == "<html>the page</html>"
    assert "displayHTML(notebook.dashboard_html(" in (ROOT / "notebooks" / "08_dashboard.py").read_text()
