"""The daily dashboard renders from the tables and draws in a real headless Chromium without JS errors."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess

import pytest
from pyspark.sql import functions as F

from creator_governance.jobargs import config_of
from creator_governance.jobs import dashboard
from creator_governance.jobs.dashboard import parse_args
from creator_governance.runtime import open_context

DS = dt.date(2026, 1, 20)


def section_texts(page: str) -> dict[str, str]:
    """Each panel's HTML by its section id."""
    import re

    return {m.group(1): m.group(2) for m in re.finditer(r'<section id="(\w+)">(.*?)</section>', page, re.S)}


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def build_lakehouse(spark, tables, declared):
    days = [DS - dt.timedelta(days=i) for i in range(14)]
    lqcr = {d: 0.1 + (0.2 if d == DS else 0.0) for d in days}
    metrics = [{"ds": d, "metric": "low_quality_content_rate", "dimension": "all", "dimension_value": "all",
                "value": v, "numerator": v * 10, "denominator": 10.0} for d, v in lqcr.items()]
    metrics += [{"ds": d, "metric": "new_registrations", "dimension": "all", "dimension_value": "all",
                 "value": 100.0, "numerator": 100.0} for d in days]
    tables.append("governance_metrics", declared("governance_metrics", metrics))
    tables.append("metric_bands", declared("metric_bands", [
        {"ds": d, "metric": "low_quality_content_rate", "observed": v, "expected": 0.1, "lower": 0.08, "upper": 0.12,
         "score": 9.0 if d == DS else 0.0, "is_anomaly": d == DS} for d, v in lqcr.items()]))
    tables.append("alerts", declared("alerts", [
        {"ds": DS, "metric": "low_quality_content_rate", "dimension": "all", "dimension_value": "all",
         "observed": 0.3, "expected": 0.1, "severity": "high", "status": "new", "incident_id": "lqcr|all=all|x",
         "incident_start": DS, "top_cause": "category=food", "cause_kind": "outside_factor",
         "explanation": "LQCR rose 200% <script>alert(1)</script>, mostly category=food"}]))
    tables.append("strategy_performance", declared("strategy_performance", [
        {"run_id": "r1", "strategy_id": "spam_burst", "metric": m, "value": v} for m, v in
        (("precision", 0.8), ("recall", 0.5), ("hit_targets", 40.0), ("fp_good_creators", 2.0))]))
    # daily hits: a1 and a2 hit, a1 confirmed, a2 cleared; a3 confirmed without a hit
    tables.append("strategy_hits", declared("strategy_hits", [
        {"ds": DS - dt.timedelta(days=5), "strategy_id": "spam_burst", "target_type": "account", "target_id": a}
        for a in ("a1", "a2")]))
    tables.append("decisions", declared("decisions", [
        {"decision_id": f"d{i}", "target_id": a, "outcome": o, "ds": DS - dt.timedelta(days=2),
         "ts": dt.datetime(2026, 1, 18, 9)} for i, (a, o) in enumerate((("a1", "violation"), ("a2", "no_violation"),
                                                                         ("a3", "violation")))]))
    scores = spark.range(200).select(F.col("id").cast("string").alias("account_id"),
                                     (F.col("id") / 200.0).alias("score"))
    scores = declared("creator_scores", []).unionByName(scores, allowMissingColumns=True)
    tables.append("creator_scores", scores.withColumn("ds", F.lit(DS)).unionByName(
        scores.withColumn("score", F.col("score") * 0.5).withColumn("ds", F.lit(DS - dt.timedelta(days=7)))))
    tables.append("syndicates", declared("syndicates", [
        {"ds": DS, "syndicate_id": "syn-1", "size": 12, "mean_score": 0.91, "shared_signals": ["shared device"],
         "suggested_action": "ban", "members": ["a1", "a2"]}]))
    queue = [{"ds": DS, "entity_kind": "syndicate", "entity_id": "S-a1", "priority": 0.99, "rank": 1,
              "evidence": "ring of 12 accounts sharing shared device", "suggested_action": "review the ring together"},
             {"ds": DS, "entity_kind": "account", "entity_id": "a1", "priority": 0.97, "rank": 2,
              "evidence": "model 80%; syndicate S-a1 of 12 accounts", "suggested_action": "enforce"}]
    queue += [{"ds": DS, "entity_kind": "account", "entity_id": f"b{i}", "priority": 0.5 - i / 100, "rank": i + 3,
               "evidence": "model 5%", "suggested_action": "monitor"} for i in range(30)]
    tables.append("risk_queue", declared("risk_queue", queue))
    run_at = dt.datetime(2026, 1, 20, 5)
    tables.append("experiment_results", declared("experiment_results", [
        {"experiment": "review_nudge", "analysis": "ab", "metric": "reports", "variant": "treatment", "units": 1000,
         "abs_lift": 0.02, "rel_lift": -0.3, "rel_lift_lo": -0.45, "rel_lift_hi": -0.15, "p_adjusted": 0.001,
         "guardrail_status": "pass", "srm_flag": False, "run_at": run_at},
        {"experiment": "review_nudge", "analysis": "ab", "metric": "reports", "variant": "control", "units": 1000,
         "srm_flag": False, "run_at": run_at}]))
    tables.append("pipeline_runs", declared("pipeline_runs", [
        {"run_id": "r1", "step": step, "status": status, "started_at": dt.datetime(2026, 1, 21, 2, i),
         "duration_s": 12.5 * (i + 1), "rows": 1000 * (i + 1), "ds": DS}
        for i, (step, status) in enumerate((("ingest", "success"), ("features", "success"), ("train", "skipped")))]))
    tables.append("ingest_log", declared("ingest_log", [
        {"run_id": "i1", "entity": "content", "source_file": "content/a.jsonl", "status": "ingested",
         "rows_read": 110, "rows_accepted": 100, "rows_quarantined": 7, "rows_duplicate": 3,
         "min_ds": DS - dt.timedelta(days=1), "max_ds": DS}]))
    tables.append("data_quality", declared("data_quality", [
        {"run_id": "i1", "entity": "content", "metric": "null_rate", "column_name": "quality_score",
         "numerator": 4, "denominator": 100, "value": 0.04, "computed_at": dt.datetime(2026, 1, 21, 2)}]))


def test_dashboard_renders_every_section_from_the_tables(spark, tables, lakehouse, declared):
    build_lakehouse(spark, tables, declared)
    ctx = open_context(config_of(parse_args(["--lakehouse", str(lakehouse)])))

    data = dashboard.gather(ctx, DS)
    path = dashboard.run(ctx, DS)

    assert sorted(data.metrics["metric"].unique()) == ["low_quality_content_rate", "new_registrations"]
    daily = data.strategies.set_index("strategy_id").loc["spam_burst"]
    assert (daily["hit_accounts"], daily["reviewed"], daily["confirmed"]) == (2, 2, 1)
    assert daily["precision"] == pytest.approx(0.5) and daily["recall"] == pytest.approx(0.5)  # a3: no hit
    assert data.backtest.set_index("strategy_id").loc["spam_burst", "precision"] == pytest.approx(0.8)
    assert data.bands["upper"].max() == pytest.approx(0.12)
    assert data.incidents.to_dict("records") == [{"metric": "low_quality_content_rate", "incident_id": "lqcr|all=all|x",
                                                  "start": DS.isoformat(), "end": DS.isoformat(), "severity": "high"}]
    assert data.health["steps"]["step"].tolist() == ["ingest", "features", "train"]
    assert data.health["ingest"].to_dict("records") == [{"entity": "content", "files": 1, "rows_accepted": 100,
                                                        "rows_quarantined": 7, "rows_duplicate": 3}]
    assert data.score_hist["share_today"].sum() == pytest.approx(1.0)
    assert data.score_hist["share_today"].iloc[-1] > 0 and data.score_hist["share_reference"].iloc[-1] == 0
    assert data.psi is not None and data.psi > 0.5  # the whole distribution moved
    assert data.experiments.to_dict("records")[0]["relative_lift"] == "-30.0% [-45.0%, -15.0%]"
    assert data.queue["rank"].tolist() == list(range(1, 21)) and data.queue["entity_id"].iloc[0] == "S-a1"
    assert len(data.experiments) == 1  # the control row carries no lift
    page = open(path, encoding="utf-8").read()
    assert "Not available" not in page
    assert "<td>category=food</td>" in page and "<details><summary>explain</summary>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert open(os.path.join(lakehouse, "_dashboard", "latest.html"), encoding="utf-8").read() == page


def test_missing_tables_render_as_notes(spark, tables, lakehouse):
    ctx = open_context(config_of(parse_args(["--lakehouse", str(lakehouse)])))
    page = open(dashboard.run(ctx, DS), encoding="utf-8").read()
    assert page.count("Not available") == 8 and "run govern queue first" in page


def test_dashboard_draws_in_headless_chromium(spark, tables, lakehouse, tmp_path, declared):
    browser = chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (see .ci/run)")
        pytest.skip("chromium is not installed")
    build_lakehouse(spark, tables, declared)
    ctx = open_context(config_of(parse_args(["--lakehouse", str(lakehouse)])))
    path = dashboard.run(ctx, DS)
    shot = tmp_path / "dashboard.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
             "--virtual-time-budget=5000", "--window-size=1400,2600"]
    dom = subprocess.run([browser, *flags, "--dump-dom", f"file://{path}"], capture_output=True, text=True,
                         timeout=120)
    subprocess.run([browser, *flags, f"--screenshot={shot}", f"file://{path}"], capture_output=True, timeout=120)

    assert dom.stdout.count('class="main-svg"') >= 4  # plotly drew the trend, strategy and score charts
    sections = section_texts(dom.stdout)
    # each panel by what it shows, as drawn by the browser
    assert "expected band" in sections["trends"] and 'class="shapelayer"' in dom.stdout  # band, incident span
    assert "category=food" in sections["alerts"] and "explain" in sections["alerts"]
    assert "S-a1" in sections["queue"] and "review the ring together" in sections["queue"]
    assert "spam_burst" in sections["strategies"] and "Latest weekly backtest" in sections["strategies"]
    assert "Population stability index" in sections["scores"] and "high" in sections["scores"]  # a tier marked
    assert "syn-1" in sections["syndicates"]
    assert "review_nudge" in sections["experiments"] and "-30.0% [-45.0%, -15.0%]" in sections["experiments"]
    assert all(s in sections["health"] for s in ("features", "skipped", "null_rate", "rows_quarantined"))
    assert "Uncaught" not in dom.stderr and "ReferenceError" not in dom.stderr, dom.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000
