"""databricks.yml is a valid bundle whose wheel tasks call the `govern` CLI with arguments it accepts.

Every target is resolved (variables, target overrides), every job is validated with the typed classes of the
`databricks-bundles` package (`Job.from_dict`: unknown fields and wrong value types), then the checks it does not
do: one known task type per task, `depends_on` and `job_cluster_key` name something of the job, a
`python_wheel_task` names this project and an entry point of its wheel, and its parameters, with `{{...}}` dynamic
values replaced by samples, pass the CLI's own argument parser. Each check is shown to fail on a broken copy.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from databricks.bundles.jobs import Job, Task

from creator_governance.jobargs import UsageError, days_of
from creator_governance.jobs.registry import JOB_BY_NAME

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = yaml.safe_load((ROOT / "databricks.yml").read_text())
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

TASK_FIELDS = {f.name for f in dataclasses.fields(Task)}
TASK_TYPES = {name for name in TASK_FIELDS if name.endswith("_task")}
# What Databricks puts in for the dynamic values the bundle uses (a run started 2026-03-02 at 02:30 UTC).
SAMPLE_DYNAMIC = {"job.start_time.iso_date": "2026-03-02", "job.start_time.iso_datetime": "2026-03-02T02:30:00",
                  "job.run_id": "123", "job.id": "456", "task.name": "task"}
BUNDLE_VAR = re.compile(r"\$\{(var\.[A-Za-z0-9_]+|bundle\.target|bundle\.name)\}")
ANY_BUNDLE_REF = re.compile(r"\$\{[^}]*\}")
DYNAMIC = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")


class BundleError(ValueError):
    """A problem of the bundle, named by job, task and field."""


# ---- resolution -----------------------------------------------------------------------------------------------
def _merge(base, override):
    """A target's override on the top-level mapping: mappings merge, tasks and job clusters by their key."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(override, list) and all(isinstance(i, dict) for i in base + override):
        for key in ("task_key", "job_cluster_key"):
            if all(key in i for i in base + override):
                merged = {i[key]: i for i in base}
                for item in override:
                    merged[item[key]] = _merge(merged[item[key]], item) if item[key] in merged else item
                return list(merged.values())
    return override


def _substitute(node, values: dict[str, object]):
    if isinstance(node, dict):
        return {k: _substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, values) for v in node]
    if not isinstance(node, str):
        return node
    whole = BUNDLE_VAR.fullmatch(node)
    if whole and whole.group(1) in values:  # a value that is one reference keeps the variable's type
        return values[whole.group(1)]
    text = BUNDLE_VAR.sub(lambda m: str(values.get(m.group(1), m.group(0))), node)
    unresolved = ANY_BUNDLE_REF.search(text)
    if unresolved:
        raise BundleError(f"unresolved reference {unresolved.group(0)}")
    return text


def resolve(bundle: dict, target: str) -> dict[str, dict]:
    """Every job of `target`, with the target's variables and resource overrides applied."""
    if target not in bundle.get("targets", {}):
        raise BundleError(f"unknown target {target!r}")
    spec = bundle["targets"][target] or {}
    declared = bundle.get("variables", {})
    raw = {name: v.get("default") for name, v in declared.items()}
    for name, value in (spec.get("variables") or {}).items():
        if name not in declared:
            raise BundleError(f"target {target}: variable {name!r} is not declared")
        raw[name] = value
    missing = sorted(name for name, value in raw.items() if value is None)
    if missing:
        raise BundleError(f"target {target}: no value for variable(s) {', '.join(missing)}")
    values: dict[str, object] = {"bundle.target": target, "bundle.name": bundle["bundle"]["name"]}
    pending = dict(raw)
    while pending:  # variables may refer to variables (lakehouse -> catalog, schema)
        ready = {name: v for name, v in pending.items()
                 if not isinstance(v, str) or all(ref in values for ref in BUNDLE_VAR.findall(v))}
        if not ready:
            raise BundleError(f"target {target}: variable(s) {', '.join(sorted(pending))} refer to unknown "
                              "variables or to each other in a cycle")
        for name, v in ready.items():
            values[f"var.{name}"] = _substitute(v, values)
            del pending[name]
    resources = _merge(bundle.get("resources", {}), spec.get("resources") or {})
    return _substitute(resources.get("jobs", {}), values)


# ---- checks ---------------------------------------------------------------------------------------------------
def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def wheel_argv(job: dict, parameters: list[str]) -> list[str]:
    """The argv a wheel task's entry point receives: job parameters and dynamic values replaced by samples."""
    job_params = {p["name"]: p.get("default", "") for p in job.get("parameters") or []}

    def value(match: re.Match, depth: int = 0) -> str:
        ref = match.group(1)
        if ref.startswith("job.parameters."):
            name = ref.removeprefix("job.parameters.")
            if name not in job_params:
                raise BundleError(f"{match.group(0)} names no job parameter (job has {sorted(job_params)})")
            if depth > 5:
                raise BundleError(f"{match.group(0)}: job parameters refer to each other in a cycle")
            return DYNAMIC.sub(lambda m: value(m, depth + 1), str(job_params[name]))
        if ref not in SAMPLE_DYNAMIC:
            raise BundleError(f"{match.group(0)}: no sample value for this dynamic value reference")
        return SAMPLE_DYNAMIC[ref]

    return [DYNAMIC.sub(value, str(p)) for p in parameters]


def cli_accepts(argv: list[str]):
    """Parse `govern <argv>` with the job's own parser (and its day validation); the parsed arguments."""
    if not argv or argv[0] not in JOB_BY_NAME:
        raise BundleError(f"parameters {argv[:1]} name no govern command")
    try:
        args = JOB_BY_NAME[argv[0]].parse(argv[1:])
        if getattr(args, "ds", None) or getattr(args, "ds_from", None):
            days_of(args)
    except (UsageError, SystemExit) as exc:
        raise BundleError(f"govern {argv[0]} rejects {argv[1:]}: {exc}") from None
    return args


def check_job(key: str, job: dict) -> list[str]:
    """Every problem of one resolved job, each naming the job and the task."""
    problems: list[str] = []
    try:
        Job.from_dict(copy.deepcopy(job))
    except (ValueError, TypeError, KeyError) as exc:
        problems.append(f"{key}: not a valid job (databricks-bundles): {exc}")
    tasks = job.get("tasks") or []
    if not tasks:
        problems.append(f"{key}: no tasks")
    keys = [t.get("task_key") for t in tasks]
    if len(set(keys)) != len(keys):
        problems.append(f"{key}: duplicate task_key in {keys}")
    clusters = {c.get("job_cluster_key") for c in job.get("job_clusters") or []}
    scripts = PROJECT.get("scripts", {})
    for task in tasks:
        where = f"{key}.{task.get('task_key')}"
        unknown = [name for name in task if name not in TASK_FIELDS]
        if unknown:
            problems.append(f"{where}: unknown task type or field {unknown} (task types: {sorted(TASK_TYPES)})")
        known = sorted(name for name in task if name in TASK_TYPES and task[name] is not None)
        if len(known) != 1:
            problems.append(f"{where}: needs exactly one task type, has {known or 'none'}")
        for dep in task.get("depends_on") or []:
            if dep.get("task_key") not in keys or dep.get("task_key") == task.get("task_key"):
                problems.append(f"{where}: depends_on {dep.get('task_key')!r} is not another task of the job")
        if task.get("job_cluster_key") and task["job_cluster_key"] not in clusters:
            problems.append(f"{where}: job_cluster_key {task['job_cluster_key']!r} is not a job cluster")
        wheel = task.get("python_wheel_task")
        if isinstance(wheel, dict):
            if _normalise(str(wheel.get("package_name", ""))) != _normalise(PROJECT["name"]):
                problems.append(f"{where}: package_name {wheel.get('package_name')!r} is not {PROJECT['name']}")
            if wheel.get("entry_point") not in scripts:
                problems.append(f"{where}: entry_point {wheel.get('entry_point')!r} is not an entry point of "
                                f"the wheel ({sorted(scripts)})")
            try:
                cli_accepts(wheel_argv(job, wheel.get("parameters") or []))
            except BundleError as exc:
                problems.append(f"{where}: {exc}")
    return problems


def check_bundle(bundle: dict) -> list[str]:
    problems = []
    for target in bundle.get("targets", {}):
        try:
            resolved = resolve(bundle, target)
        except BundleError as exc:
            problems.append(str(exc))
            continue
        problems += [f"[{target}] {p}" for key, job in resolved.items() for p in check_job(key, job)]
    return problems


# ---- the real bundle ------------------------------------------------------------------------------------------
def test_the_bundle_passes_every_check():
    assert check_bundle(BUNDLE) == []


def test_targets_set_catalog_and_schema_and_the_paths_follow():
    dev, prod = resolve(BUNDLE, "dev"), resolve(BUNDLE, "prod")
    assert dev["governance_daily"]["tags"] == {"catalog": "governance_dev", "schema": "creator_governance"}
    assert prod["governance_daily"]["tags"] == {"catalog": "governance", "schema": "creator_governance"}
    lakehouse = {p["name"]: p["default"] for p in prod["governance_daily"]["parameters"]}["lakehouse"]
    assert lakehouse == "s3://example-governance/creator_governance/lakehouse"  # an external location, not a volume
    assert dev["governance_daily"]["job_clusters"][0]["new_cluster"]["num_workers"] == 1
    assert prod["governance_daily"]["job_clusters"][0]["new_cluster"]["num_workers"] == 4


def test_the_daily_job_runs_govern_run_for_yesterday_of_its_start_date():
    job = resolve(BUNDLE, "prod")["governance_daily"]
    (task,) = job["tasks"]
    wheel = task["python_wheel_task"]
    assert (wheel["package_name"], wheel["entry_point"]) == ("creator_governance", "govern")
    args = cli_accepts(wheel_argv(job, wheel["parameters"]))
    assert (args.mode, args.ds, args.as_of) == ("daily", "2026-03-01", "2026-03-02")
    assert args.conf is None and args.env == "cluster"  # the empty conf parameter means none
    assert args.landing == "/Volumes/governance/creator_governance/landing"
    # the tables are registered as governance.creator_governance.<name> over an external location
    from creator_governance.jobargs import config_of

    tables = config_of(args).tables
    assert (tables.catalog, tables.schema_name) == ("governance", "creator_governance")
    assert tables.lakehouse.startswith("s3://")
    # Every option value except the mode comes from a job parameter, so a run can override any of them.
    params = wheel["parameters"]
    values = [params[i + 1] for i, p in enumerate(params) if p.startswith("--") and p != "--mode"]
    assert values and all(DYNAMIC.fullmatch(v) and v.startswith("{{job.parameters.") for v in values)
    assert task["max_retries"] >= 1 and task["min_retry_interval_millis"] > 0 and job["timeout_seconds"] > 0
    assert job["email_notifications"]["on_failure"] == ["governance-oncall@example.com"]
    assert job["job_clusters"][0]["new_cluster"]["spark_version"].startswith("17.3.x-")
    assert job["schedule"]["timezone_id"] == "UTC"


def test_the_weekly_backtest_replays_the_four_weeks_before_the_run():
    job = resolve(BUNDLE, "prod")["governance_backtest_weekly"]
    (task,) = job["tasks"]
    args = cli_accepts(wheel_argv(job, task["python_wheel_task"]["parameters"]))
    assert args.mode == "backtest"
    assert days_of(args)[0] == dt.date(2026, 2, 2) and days_of(args)[-1] == dt.date(2026, 3, 1)
    assert "MON" in job["schedule"]["quartz_cron_expression"]


# ---- each check fails on a broken copy ------------------------------------------------------------------------
def _broken(change) -> dict:
    bundle = copy.deepcopy(BUNDLE)
    change(bundle["resources"]["jobs"]["governance_daily"]["tasks"][0], bundle)
    return bundle


def _add_task(bundle, task):
    bundle["resources"]["jobs"]["governance_daily"]["tasks"].append(task)


BROKEN = {
    "wrong task type": (
        lambda t, b: t.update(python_wheel_tsk=t.pop("python_wheel_task")), "unknown task type or field ['python_wheel_tsk']"),
    "no task type": (lambda t, b: t.pop("python_wheel_task"), "needs exactly one task type, has none"),
    "two task types": (
        lambda t, b: t.update(notebook_task={"notebook_path": "./notebooks/01_ingest.py"}),
        "needs exactly one task type, has ['notebook_task', 'python_wheel_task']"),
    "depends_on a missing task": (
        lambda t, b: _add_task(b, {"task_key": "after", "depends_on": [{"task_key": "dayly"}],
                                   "job_cluster_key": "governance",
                                   "notebook_task": {"notebook_path": "./notebooks/08_dashboard.py"}}),
        "governance_daily.after: depends_on 'dayly' is not another task of the job"),
    "missing entry_point": (
        lambda t, b: t["python_wheel_task"].update(entry_point="governance"),
        "entry_point 'governance' is not an entry point of the wheel (['govern'])"),
    "entry_point removed": (
        lambda t, b: t["python_wheel_task"].pop("entry_point"), "not a valid job (databricks-bundles)"),
    "wrong package": (
        lambda t, b: t["python_wheel_task"].update(package_name="creator_gov"), "package_name 'creator_gov'"),
    "a parameter the parser rejects": (
        lambda t, b: t["python_wheel_task"]["parameters"].extend(["--date", "2026-03-01"]),
        "govern run rejects"),
    "a bad mode": (
        lambda t, b: t["python_wheel_task"]["parameters"].__setitem__(2, "weekly"), "govern run rejects"),
    "a day the parser rejects": (
        lambda t, b: next(p for p in b["resources"]["jobs"]["governance_daily"]["parameters"]
                          if p["name"] == "ds").update(default="the day before"),
        "--ds 'the day before': expected a date"),
    "an unknown job parameter": (
        lambda t, b: t["python_wheel_task"]["parameters"].__setitem__(4, "{{job.parameters.day}}"),
        "{{job.parameters.day}} names no job parameter"),
    "an unknown command": (
        lambda t, b: t["python_wheel_task"]["parameters"].__setitem__(0, "runn"), "name no govern command"),
    "a wrong value type": (
        lambda t, b: t.update(max_retries="twice"), "not a valid job (databricks-bundles)"),
    "a missing job cluster": (
        lambda t, b: t.update(job_cluster_key="governanse"), "job_cluster_key 'governanse' is not a job cluster"),
    "an undeclared variable": (
        lambda t, b: t["python_wheel_task"].update(package_name="${var.package}"), "unresolved reference ${var.package}"),
    "a variable without value in a target": (
        lambda t, b: b["targets"]["prod"]["variables"].pop("catalog"), "target prod: no value for variable(s) catalog"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_each_check_fails_on_a_broken_copy(name):
    change, expected = BROKEN[name]
    problems = check_bundle(_broken(change))
    assert problems, name
    assert any(expected in p for p in problems), problems


def test_a_target_override_is_checked_too():
    bundle = copy.deepcopy(BUNDLE)
    bundle["targets"]["prod"]["resources"] = {"jobs": {"governance_daily": {"tasks": [
        {"task_key": "daily", "python_wheel_task": {"parameters": ["run", "--mode", "hourly"]}}]}}}
    problems = check_bundle(bundle)
    assert problems and all(p.startswith("[prod] governance_daily.daily: govern run rejects") for p in problems)
    # The override is merged into the base task by task_key: the entry point and package are still there.
    assert not any("entry_point" in p or "package_name" in p for p in problems)
