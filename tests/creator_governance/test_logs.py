"""One log format per process: JSON lines carry the run's context; progress lines never carry markup in JSON."""

from __future__ import annotations

import json
import logging

import pytest

from creator_governance import logs


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level, fmt = list(root.handlers), root.level, logs._format
    yield
    root.handlers, logs._format = handlers, fmt
    root.setLevel(level)


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_carry_the_context_they_were_logged_in(capsys, restore_logging):
    logs.setup_logging(fmt="json")
    with logs.log_context(run_id="r-1"):
        with logs.log_context(step="score", ds="2026-01-05"):
            logging.getLogger("jobs.score").info("scored %d accounts", 3)
        logging.getLogger("jobs.run").warning("after the step")
    logging.getLogger("jobs.run").info("outside any run")
    first, second, third = lines(capsys.readouterr().err)
    assert first["message"] == "scored 3 accounts" and first["logger"] == "jobs.score"
    assert (first["run_id"], first["step"], first["ds"], first["level"]) == ("r-1", "score", "2026-01-05", "INFO")
    assert (second["run_id"], second["level"]) == ("r-1", "WARNING") and "step" not in second
    assert "run_id" not in third


def test_progress_lines_in_json_are_plain_records(capsys, restore_logging):
    logs.setup_logging(fmt="json")
    logs.say("[bold]2026-01-05 score[/bold] …")
    (record,) = lines(capsys.readouterr().err)
    assert record["message"] == "2026-01-05 score …" and record["logger"] == "govern"


def test_text_is_the_default_and_env_chooses_json(monkeypatch, restore_logging):
    monkeypatch.delenv("GOVERN_LOG_FORMAT", raising=False)
    assert logs.log_format(None) == "text"
    monkeypatch.setenv("GOVERN_LOG_FORMAT", "json")
    assert logs.log_format(None) == "json"
    assert logs.log_format("text") == "text"  # the flag wins over the environment


def test_an_unknown_format_is_named(monkeypatch):
    monkeypatch.setenv("GOVERN_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="log format 'xml' is not one of text, json"):
        logs.log_format(None)


def test_progress_off_a_terminal_is_one_plain_line(capsys, restore_logging):
    logs.setup_logging(fmt="text")
    with logs.progress("[bold]2026-01-05 score[/bold] …"):
        print("working")
    captured = capsys.readouterr()
    assert captured.err.strip() == "2026-01-05 score …" and captured.out.strip() == "working"
    logs.setup_logging(fmt="json")
    with logs.progress("[bold]2026-01-05 score[/bold] …"):
        pass
    (record,) = lines(capsys.readouterr().err)
    assert record["message"] == "2026-01-05 score …"


def test_every_line_of_a_command_carries_its_run_id_the_one_in_pipeline_runs(spark, lakehouse, capsys,
                                                                              restore_logging):
    from creator_governance.cli import dispatch
    from creator_governance.tables import Tables

    common = ["--lakehouse", str(lakehouse), "--log-format", "json"]
    assert dispatch("run", ["--ds", "2026-01-05", "--mode", "daily", "--steps", "maintain", *common]) == 0
    done = lines(capsys.readouterr().err)
    assert done and {r.get("run_id") for r in done} == {done[0]["run_id"]} and done[0]["run_id"]
    (row,) = Tables(spark, str(lakehouse), engine="delta-rs").read("pipeline_runs").collect()
    assert (row.step, row.run_id) == ("maintain", done[0]["run_id"])
    # a failure: its one-line reason is a JSON record of the same invocation's run id (a new one)
    assert dispatch("score", ["--ds", "2026-01-05", *common]) == 1
    failed = lines(capsys.readouterr().err)
    assert failed[-1]["level"] == "ERROR" and failed[-1]["message"].startswith("govern score: error:")
    assert {r.get("run_id") for r in failed} == {failed[-1]["run_id"]} != {done[0]["run_id"]}
