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


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def build_lakehouse(spark, tables):
    days = [DS - dt.timedelta(days=i) for i in range(14)]
    metrics = [(d, "low_quality_content_rate", "all", "all", 0.1 + (0.2 if d == DS else 0.0), 1.0, 10.0) for d in days]
    metrics += [(d, "new_registrations", "all", "all", 100.0, 100.0, None) for d in days]
    tables.append("governance_metrics", spark.createDataFrame(
        metrics, "ds date, metric string, dimension string, dimension_value string, value double, "
                 "numerator double, denominator double"))
    tables.append("alerts", spark.createDataFrame(
        [(DS, "low_quality_content_rate", "all", "all", 0.3, 0.1, "high", "new", "outside_factor",
          "LQCR rose 200% <script>alert(1)</script>, mostly category=food")],
        "ds date, metric string, dimension string, dimension_value string, observed double, expected double, "
        "severity string, status string, cause_kind string, explanation string"))
    tables.append("strategy_performance", spark.createDataFrame(
        [("r1", "spam_burst", m, v, None, None, None) for m, v in
         (("precision", 0.8), ("recall", 0.5), ("hit_targets", 40.0), ("fp_good_creators", 2.0))],
        "run_id string, strategy_id string, metric string, value double, threshold double, hit_ds date, "
        "other_strategy_id string"))
    scores = spark.range(200).select(F.col("id").cast("string").alias("account_id"),
                                     (F.col("id") / 200.0).alias("score"))
    tables.append("creator_scores", scores.withColumn("ds", F.lit(DS)).unionByName(
        scores.withColumn("score", F.col("score") * 0.5).withColumn("ds", F.lit(DS - dt.timedelta(days=7)))))
    tables.append("syndicates", spark.createDataFrame(
        [(DS, "syn-1", 12, 0.91, "shared device", "ban", ["a1", "a2"])],
        "ds date, syndicate_id string, size int, mean_score double, shared_signals string, "
        "suggested_action string, members array<string>"))
    queue = [(DS, "syndicate", "S-a1", 0.99, 1, "ring of 12 accounts sharing shared device", "review the ring together"),
             (DS, "account", "a1", 0.97, 2, "model 80%; syndicate S-a1 of 12 accounts", "enforce")]
    queue += [(DS, "account", f"b{i}", 0.5 - i / 100, i + 3, "model 5%", "monitor") for i in range(30)]
    tables.append("risk_queue", spark.createDataFrame(
        queue, "ds date, entity_kind string, entity_id string, priority double, rank int, evidence string, "
               "suggested_action string"))
    tables.append("experiment_results", spark.createDataFrame(
        [("review_nudge", "ab", "reports", "treatment", 1000, 0.02, -0.3, -0.45, -0.15, 0.001, "pass", False, None,
          dt.datetime(2026, 1, 20, 5)),
         ("review_nudge", "ab", "reports", "control", 1000, None, None, None, None, None, None, False, None,
          dt.datetime(2026, 1, 20, 5))],
        "experiment string, analysis string, metric string, variant string, units long, abs_lift double, "
        "rel_lift double, rel_lift_lo double, rel_lift_hi double, p_adjusted double, guardrail_status string, "
        "srm_flag boolean, pretrend_flag boolean, run_at timestamp"))


def test_dashboard_renders_every_section_from_the_tables(spark, tables, lakehouse):
    build_lakehouse(spark, tables)
    ctx = open_context(config_of(parse_args(["--lakehouse", str(lakehouse)])))

    data = dashboard.gather(ctx, DS)
    path = dashboard.run(ctx, DS)

    assert sorted(data.metrics["metric"].unique()) == ["low_quality_content_rate", "new_registrations"]
    assert data.strategies.set_index("strategy_id").loc["spam_burst", "precision"] == pytest.approx(0.8)
    assert data.score_hist["share_today"].sum() == pytest.approx(1.0)
    assert data.score_hist["share_today"].iloc[-1] > 0 and data.score_hist["share_reference"].iloc[-1] == 0
    assert data.psi is not None and data.psi > 0.5  # the whole distribution moved
    assert data.experiments.to_dict("records")[0]["relative_lift"] == "-30.0% [-45.0%, -15.0%]"
    assert data.queue["rank"].tolist() == list(range(1, 21)) and data.queue["entity_id"].iloc[0] == "S-a1"
    assert len(data.experiments) == 1  # the control row carries no lift
    page = open(path, encoding="utf-8").read()
    assert "Not available" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert open(os.path.join(lakehouse, "_dashboard", "latest.html"), encoding="utf-8").read() == page


def test_missing_tables_render_as_notes(spark, tables, lakehouse):
    ctx = open_context(config_of(parse_args(["--lakehouse", str(lakehouse)])))
    page = open(dashboard.run(ctx, DS), encoding="utf-8").read()
    assert page.count("Not available") == 7 and "run govern queue first" in page


def test_dashboard_draws_in_headless_chromium(spark, tables, lakehouse, tmp_path):
    browser = chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (see .ci/run)")
        pytest.skip("chromium is not installed")
    build_lakehouse(spark, tables)
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
    assert "Uncaught" not in dom.stderr and "ReferenceError" not in dom.stderr, dom.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000
