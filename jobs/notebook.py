"""What a Databricks notebook launcher needs: its widgets as a job's argv, and a failure that fails the task."""

from __future__ import annotations

import contextlib

from creator_governance.jobs.registry import job
from creator_governance.lock import writer_scope

# widget name -> the job option it fills; empty widgets are left out.
WIDGET_OPTIONS = {"ds": "--ds", "landing": "--landing", "env": "--env", "conf": "--conf", "lakehouse": "--lakehouse",
                  "catalog": "--catalog", "schema": "--schema"}


def argv_from_widgets(values: dict[str, str]) -> list[str]:
    """`{"ds": "2026-01-05", "conf": ""}` -> `["--ds", "2026-01-05"]`."""
    argv: list[str] = []
    for name, option in WIDGET_OPTIONS.items():
        value = (values.get(name) or "").strip()
        if value:
            argv += [option, value]
    return argv


def launch(name: str, dbutils, widgets: tuple[str, ...]) -> None:
    """Run the registered job `name` with the notebook's widget values; raise so the task fails when it does."""
    values = {widget: dbutils.widgets.get(widget) for widget in widgets}
    launched = job(name)
    # The same lakehouse lock as the CLI, so a notebook task and a `govern` run never write at once.
    with writer_scope(name) if launched.writes else contextlib.nullcontext():
        code = launched.main(argv_from_widgets(values))
    if code:
        raise RuntimeError(f"govern {name} exited with code {code}")


def dashboard_html(dbutils, widgets: tuple[str, ...]) -> str:
    """The page the dashboard step last rendered for these widgets (`<tables.files>/_dashboard/latest.html`), for
    the notebook's `displayHTML`."""
    import os

    from creator_governance.jobargs import config_of

    values = {widget: dbutils.widgets.get(widget) for widget in widgets}
    args = job("dashboard").parse(argv_from_widgets(values))
    path = os.path.join(config_of(args).tables.folder("_dashboard"), "latest.html")
    with open(path, encoding="utf-8") as page:
        return page.read()
