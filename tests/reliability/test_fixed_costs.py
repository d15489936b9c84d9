"""benchmarks/fixed_costs.py: per-step Spark work read from an event log (jobs, stages run, tasks, time in jobs
and in their queries), and the generated section of docs/performance.md."""

import json

import pytest


@pytest.fixture(scope="module")
def fixed_costs(benchmark_script):
    return benchmark_script("fixed_costs")


def _job(job_id, at, stages, group=None, execution=None):
    props = {}
    if group:
        props["spark.jobGroup.id"] = group
    if execution is not None:
        props["spark.sql.execution.id"] = str(execution)
    return {"Event": "SparkListenerJobStart", "Job ID": job_id, "Submission Time": at, "Stage IDs": stages,
            "Properties": props}


def _stage(stage_id, tasks):
    return {"Event": "SparkListenerStageCompleted", "Stage Info": {"Stage ID": stage_id, "Number of Tasks": tasks}}


SQL = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecution"


def test_union_counts_overlapping_time_once(fixed_costs):
    assert fixed_costs.union_seconds([(0, 1000), (500, 1500), (3000, 4000)]) == pytest.approx(2.5)
    assert fixed_costs.union_seconds([(0, 4000), (1000, 2000)]) == pytest.approx(4.0)
    assert fixed_costs.union_seconds([]) == 0.0


def test_work_per_step_from_an_event_log(fixed_costs, tmp_path):
    events = [
        {"Event": "SparkListenerApplicationStart", "Timestamp": 0},
        # score: a query (execution 1, 1000..5000 ms) with two overlapping jobs; stage 2 skipped (never completed)
        {"Event": SQL + "Start", "executionId": 1, "time": 1000},
        _job(0, 1500, [0, 1], group="govern score", execution=1),
        _job(1, 2000, [2, 3], group="govern score", execution=1),
        _stage(0, 4), _stage(1, 2), _stage(3, 8),
        {"Event": "SparkListenerJobEnd", "Job ID": 0, "Completion Time": 3000},
        {"Event": "SparkListenerJobEnd", "Job ID": 1, "Completion Time": 3500},
        {"Event": SQL + "End", "executionId": 1, "time": 5000},
        # metrics: one job outside any query, a stage retried (two attempts: both attempts' tasks count)
        _job(2, 6000, [4], group="govern metrics"),
        _stage(4, 3), _stage(4, 1),
        {"Event": "SparkListenerJobEnd", "Job ID": 2, "Completion Time": 6500},
        # no group: the demo's own work (simulate)
        _job(3, 7000, [5]), _stage(5, 1),
        {"Event": "SparkListenerJobEnd", "Job ID": 3, "Completion Time": 7100},
    ]
    log = tmp_path / "app-1"
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    work = fixed_costs.spark_work(fixed_costs.event_logs(tmp_path))
    assert work["score"] == {"jobs": 2, "stages": 3, "tasks": 14, "in_jobs_s": 2.0, "queries_s": 2.0,
                             "spark_s": 4.0}
    assert work["metrics"] == {"jobs": 1, "stages": 1, "tasks": 4, "in_jobs_s": 0.5, "queries_s": 0.0,
                               "spark_s": 0.5}
    assert work[""]["jobs"] == 1


def test_a_log_still_being_written_is_waited_for_then_named(fixed_costs, tmp_path):
    (tmp_path / "app-1.inprogress").write_text("")
    with pytest.raises(SystemExit, match=str(tmp_path)):
        fixed_costs.event_logs(tmp_path, wait_s=0.0)


def test_render_puts_labels_side_by_side_and_keeps_the_page(fixed_costs, tmp_path, monkeypatch):
    rows = lambda wall: [{"step": "score", "wall_s": wall, "jobs": 40, "stages": 60, "tasks": 90,  # noqa: E731
                          "in_jobs_s": 20.0, "queries_s": 5.0, "outside_s": wall - 25.0}]
    results = tmp_path / "results.jsonl"
    records = [{"label": "before", "commit": "abc", "run": "demo", "at": "t0", "load1": 1.0, "rows": rows(70.0)},
               {"label": "after", "commit": "def", "run": "demo", "at": "t1", "load1": 1.0, "rows": rows(50.0)},
               {"label": "after", "commit": "fed", "run": "demo", "at": "t2", "load1": 1.0, "rows": rows(40.0)}]
    results.write_text("".join(json.dumps(r) + "\n" for r in records))
    doc = tmp_path / "performance.md"
    doc.write_text("# Perf\nintro\n")
    monkeypatch.setattr(fixed_costs, "RESULTS", results)
    monkeypatch.setattr(fixed_costs, "DOC", doc)
    fixed_costs.write_doc(fixed_costs.render())
    text = doc.read_text()
    assert text.startswith("# Perf\nintro\n")
    row = next(line for line in text.splitlines() if line.startswith("| score |"))
    # before then the latest `after` (commit fed replaced def): wall, jobs, stages, tasks, in jobs, queries, outside
    assert row == "| score | 70.0 | 40 | 60 | 90 | 20.0 | 5.0 | 45.0 | 40.0 | 40 | 60 | 90 | 20.0 | 5.0 | 15.0 |"
    assert "commit fed" in text and "commit def" not in text
    fixed_costs.write_doc(fixed_costs.render())  # a second render replaces the section, the page keeps its text
    assert doc.read_text() == text
