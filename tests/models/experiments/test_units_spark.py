"""The Spark side: per-unit metrics on hand-made bronze rows, sums equal to the pandas path, and the job
end to end (A/B and DiD) on a tiny lakehouse. Few tests on purpose: each one pays for Spark."""

import datetime as dt

import numpy as np
import pytest

from creator_governance.models.experiments.synthetic import plant_effect, synthetic_units, unit_sums
from creator_governance.models.experiments.units import (
    bucket_sums, build_assigned_units, build_metric_events, build_unit_metrics, variant_sums,
)
from creator_governance.tables.catalog import as_declared

D = lambda day: dt.date(2026, 1, day)  # noqa: E731
TS = lambda day, h=12: dt.datetime(2026, 1, day, h)  # noqa: E731
METRICS = ["violations", "reports", "content_quality", "gmv", "retention", "false_positives"]


def test_unit_metrics_windows_pre_period_retention_and_false_positives(spark):
    assignments = spark.createDataFrame([
        ("u1", "E", "control", TS(10, 0)), ("u2", "E", "treatment", TS(12)), ("u3", "E", "control", TS(10)),
        ("u4", "E", "control", TS(10)), ("u4", "E", "treatment", TS(11)), ("u5", "other", "control", TS(10)),
        ("u6", "E", "control", TS(17)),  # assigned after the window
    ], "unit_id string, experiment string, variant string, assigned_at timestamp")
    units = build_assigned_units(assignments, experiment="E", ds_to=D(16))
    assert {r.unit_id: r.n_variants for r in units.collect()} == {"u1": 1, "u2": 1, "u3": 1, "u4": 2}
    sources = {
        "decisions": spark.createDataFrame([
            ("u1", D(11), "violation"), ("u1", D(12), "no_violation"), ("u1", D(5), "violation"),
            ("u2", D(11), "violation"), ("u3", D(15), "no_violation")], "target_id string, ds date, outcome string"),
        "reports": spark.createDataFrame([("u1", D(16)), ("u1", D(16)), ("u3", D(8)), ("u2", D(17))],
                                         "target_id string, ds date"),
        "content": spark.createDataFrame([("u1", D(15), 0.4), ("u1", D(16), 0.6), ("u3", D(14), None),
                                          ("u2", D(4), 0.9)], "creator_id string, ds date, quality_score double"),
        "orders": spark.createDataFrame([("u1", D(13), 10.0, "completed"), ("u1", D(13), 5.0, "refunded"),
                                         ("u3", D(2), 7.5, "completed")],
                                        "seller_id string, ds date, amount double, status string"),
        "sessions": spark.createDataFrame([("u2", D(15)), ("u1", D(8))], "account_id string, ds date"),
        "strategy_hits": spark.createDataFrame([("u1", D(13), "s1", "account"), ("u3", D(14), "s1", "account")],
                                               "target_id string, ds date, strategy_id string, target_type string"),
    }
    events = build_metric_events(sources)
    out = build_unit_metrics(units.filter("n_variants = 1"), events, METRICS, ds_from=D(10), ds_to=D(16),
                             pre_days=7, retention_days=3)
    got = {r.unit_id: r.asDict() for r in out.collect()}
    assert set(got) == {"u1", "u2", "u3"}
    expect = {  # metric: (u1, u2, u3) window values, then pre-period values
        "violations": ((1, 0, 0), (1, 0, 0)), "reports": ((2, 0, 0), (0, 0, 1)),
        "content_quality": ((0.5, None, None), (None, 0.9, None)), "gmv": ((10, 0, 0), (0, 0, 0)),
        "retention": ((1, 1, 1), (1, 0, 0)), "false_positives": ((0, 0, 1), (0, 0, 0)),
    }
    for m, (window, pre) in expect.items():
        assert tuple(got[u][m] for u in ("u1", "u2", "u3")) == pytest.approx(window, nan_ok=True), m
        assert tuple(got[u][m + "_pre"] for u in ("u1", "u2", "u3")) == pytest.approx(pre, nan_ok=True), m


def test_spark_sums_equal_pandas_sums(spark):
    pdf = plant_effect(synthetic_units(300, seed=2, metrics={"reports": 2.0, "gmv": 40.0}), metric="gmv",
                       relative_effect=0.1)
    pdf.loc[pdf.index[:20], "gmv_pre"] = np.nan  # units without a pre-period value
    sdf = spark.createDataFrame(pdf)
    fields = ["n", "sum_y", "sum_y2", "n_x", "sum_x", "sum_x2", "sum_xy", "sum_y_xnull"]
    got = variant_sums(sdf, ["reports", "gmv"]).toPandas().sort_values(["variant", "metric"]).reset_index(drop=True)
    want = unit_sums(pdf, ["reports", "gmv"]).sort_values(["variant", "metric"]).reset_index(drop=True)
    np.testing.assert_allclose(got[fields].to_numpy(float), want[fields].to_numpy(float), rtol=1e-9)
    buckets = bucket_sums(sdf, ["gmv"], buckets=16, seed=7).toPandas()
    by_variant = buckets.groupby("variant")[fields].sum().sort_index()
    np.testing.assert_allclose(by_variant.to_numpy(float),
                               want[want.metric == "gmv"].set_index("variant")[fields].sort_index().to_numpy(float))
    assert buckets["bucket"].between(0, 15).all()


def _lakehouse(spark, tables):
    rng = np.random.default_rng(0)
    countries = ["BR", "US", "DE", "FR", "MX", "IN", "JP", "GB"]
    accounts, assignments, reports = [], [], []
    for i in range(240):
        uid, country, variant = f"a{i:04d}", countries[i % 8], ("control", "treatment")[(i // 8) % 2]
        accounts.append((uid, dt.datetime(2025, 6, 1), country, D(1)))
        assignments.append((uid, "review_nudge", variant, TS(10, 0), D(10)))
        rate = rng.lognormal(-1.0, 0.5)
        for day in range(3, 17):
            ab = 0.7 if variant == "treatment" and day >= 10 else 1.0  # the A/B effect: -30 %
            launch = 0.5 if country == "BR" and day >= 13 else 1.0  # the BR launch: -50 %
            lam = rate * ab * launch
            reports += [(f"r{i}-{day}-{k}", TS(day), "x", uid, D(day)) for k in range(rng.poisson(lam))]
    tables.append("accounts", as_declared("accounts", spark.createDataFrame(
        accounts, "account_id string, created_at timestamp, country string, ds date")))
    tables.append("assignments", as_declared("assignments", spark.createDataFrame(
        assignments, "unit_id string, experiment string, variant string, assigned_at timestamp, ds date")))
    tables.append("reports", as_declared("reports", spark.createDataFrame(
        reports, "report_id string, ts timestamp, reporter_id string, target_id string, ds date")))


def test_job_ab_then_did_writes_results_idempotently(spark, tables):
    from creator_governance.runtime import JobContext
    from creator_governance.settings import Config
    from creator_governance.jobs import experiment as job

    _lakehouse(spark, tables)
    ctx = JobContext(spark=spark, tables=tables, cfg=Config())
    args = job.parse_args(["--experiment", "review_nudge", "--from", "2026-01-10", "--to", "2026-01-16",
                           "--pre-days", "7"])
    assert args.experiment == "review_nudge" and args.pre_days == 7
    kw = dict(experiment="review_nudge", ds_from=D(10), ds_to=D(16), pre_days=7)
    first = job.run(ctx, **kw)
    job.run(ctx, **kw)  # the same window again replaces its rows
    table = tables.read("experiment_results").toPandas()
    assert len(table) == first["rows"] == 2  # reports: control + treatment; other metrics lack their tables
    row = table[table.variant == "treatment"].iloc[0]
    assert row.rel_lift_lo <= -0.3 <= row.rel_lift_hi and row.rel_lift < 0 and bool(row.cuped)
    assert not row.srm_flag and row.analysis == "ab"
    assert "skipped (source table missing)" in first["report"] and first["path"].endswith(
        "_reports/experiment_review_nudge_2026-01-10_2026-01-16.md")
    # the A/B change (x0.7 from day 10) hits every country: a DiD window from day 10 keeps trends parallel
    did = job.run(ctx, experiment="br_launch", ds_from=D(10), ds_to=D(16),
                  did={"dimension": "country", "values": ["BR"], "launch_date": D(13)})
    table = tables.read("experiment_results").toPandas()
    assert len(table) == 2 + did["rows"]
    d = table[table.experiment == "br_launch"].set_index("metric").loc["reports"]
    assert d.variant == "BR" and d.method == "did-days" and d.units == 30
    assert d.rel_lift_lo <= -0.5 <= d.rel_lift_hi and d.rel_lift < -0.2  # BR's report rate was halved
    assert "PRE-TREND" not in did["verdict"] or bool(d.pretrend_flag)
