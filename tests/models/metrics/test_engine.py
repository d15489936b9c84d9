"""Metric arithmetic on hand-made frames: slices, totals, re-aggregation, zero denominators, PSI, EHI."""

import datetime as dt

import pytest
from chispa import assert_approx_df_equality

from creator_governance.models.metrics.definitions import age_bucket_labels, render_rows
from creator_governance.models.metrics.dimensions import build_account_dims
from creator_governance.models.metrics.engine import (
    build_ehi, build_leaf_cube, build_metric, build_psi, with_account_dims, with_zero_totals,
)
from creator_governance.settings.metrics import EhiComponent, MetricDefinition

D1, D2 = dt.date(2026, 1, 10), dt.date(2026, 1, 11)
LQCR = MetricDefinition(name="lqcr", description="", kind="ratio", rows="-- the test passes the rows frame",
                        numerator="CASE WHEN quality_score < 0.3 THEN 1 ELSE 0 END",
                        denominator="CASE WHEN quality_score IS NULL THEN 0 ELSE 1 END",
                        dimensions=("country", "is_seller"))


@pytest.fixture()
def dims(spark):
    accounts = spark.createDataFrame([
        ("a1", dt.datetime(2025, 1, 1), "BR", True, "beauty"),
        ("a2", dt.datetime(2026, 1, 5), "BR", False, "gaming"),
        ("a3", dt.datetime(2026, 1, 10, 23), "US", False, None),
        ("a4", dt.datetime(2026, 1, 11), "DE", False, "food"),
    ], "account_id string, created_at timestamp, country string, is_seller boolean, category string")
    scores = spark.createDataFrame([(D1, "a1", "high")], "ds date, account_id string, risk_tier string")
    return build_account_dims(accounts, scores, ds_from=D1, ds_to=D1, age_buckets=(7, 30, 90, 365))


def test_account_dims_ages_tiers_and_unknowns(dims):
    rows = {r.account_id: r for r in dims.collect()}
    assert set(rows) == {"a1", "a2", "a3"}  # a4 does not exist yet on D1
    assert (rows["a1"].age_bucket, rows["a1"].risk_tier, rows["a1"].is_seller) == ("365d+", "high", "true")
    assert (rows["a2"].age_bucket, rows["a2"].risk_tier) == ("0-6d", "unscored")
    assert rows["a3"].category == "unknown"
    assert age_bucket_labels((7, 30)) == ["0-6d", "7-29d", "30d+"]


def test_lqcr_per_country_equals_hand_count_and_slices_add_up(spark, dims):
    content = spark.createDataFrame([
        (D1, "a1", 0.1), (D1, "a1", 0.9), (D1, "a2", 0.2), (D1, "a3", 0.8), (D1, "a3", None), (D1, "zz", 0.1),
    ], "ds date, account_id string, quality_score double")
    out = build_metric(with_account_dims(content, dims), LQCR)
    expected = spark.createDataFrame([
        # Every account here is near its slice's ratio: the effective denominator is the denominator.
        (D1, "lqcr", "all", "all", 3 / 5, 3.0, 5.0, 5.0),
        (D1, "lqcr", "country", "BR", 2 / 3, 2.0, 3.0, 3.0),
        (D1, "lqcr", "country", "US", None, 0.0, 1.0 * 0 + 1.0, 1.0),
        (D1, "lqcr", "country", "unknown", 1.0, 1.0, 1.0, 1.0),
        (D1, "lqcr", "is_seller", "true", 0.5, 1.0, 2.0, 2.0),
        (D1, "lqcr", "is_seller", "false", 0.5, 1.0, 2.0, 2.0),
        (D1, "lqcr", "is_seller", "unknown", 1.0, 1.0, 1.0, 1.0),
    ], "ds date, metric string, dimension string, dimension_value string, value double, numerator double, "
       "denominator double, effective_denominator double")
    # US: one scored item of 0.8 and a null → numerator 0, denominator 1, value 0.
    expected = expected.na.fill({"value": 0.0})
    assert_approx_df_equality(out, expected, precision=1e-9, ignore_row_order=True, ignore_nullable=True)
    by_dim = out.groupBy("dimension").sum("numerator", "denominator").collect()
    assert {(r[1], r[2]) for r in by_dim} == {(3.0, 5.0)}


def test_one_account_carrying_a_slice_lowers_its_effective_denominator(spark, dims):
    # One account posts ten low-quality items in a burst; ten others post one good item each.
    burst = [(D1, "a1", 0.1)] * 10
    singles = [(D1, f"b{i}", 0.9) for i in range(10)]
    content = spark.createDataFrame(burst + singles, "ds date, account_id string, quality_score double")
    total = build_metric(with_account_dims(content, dims), LQCR).filter("dimension = 'all'").first()
    # N = 10, D = 20, r = 0.5; Σ (n_a − r·d_a)² = (10 − 5)² + 10 · 0.5² = 27.5; b(r) D² / that = 0.25 · 400 / 27.5.
    assert (total.numerator, total.denominator) == (10.0, 20.0)
    assert total.effective_denominator == pytest.approx(100 / 27.5)
    # The same items from twenty accounts are worth twenty trials.
    spread = spark.createDataFrame([(D1, f"c{i}", 0.1 if i < 10 else 0.9) for i in range(20)],
                                   "ds date, account_id string, quality_score double")
    assert build_metric(with_account_dims(spread, dims), LQCR).filter(
        "dimension = 'all'").first().effective_denominator == pytest.approx(20.0)


def test_leaf_cube_holds_every_combination_seen_and_its_leaves_add_up_to_the_slices(spark, dims):
    content = spark.createDataFrame([
        (D1, "a1", 0.1), (D1, "a1", 0.9), (D1, "a2", 0.2), (D1, "a3", 0.8), (D1, "a3", None), (D1, "zz", 0.1),
    ], "ds date, account_id string, quality_score double")
    rows = with_account_dims(content, dims)
    out = build_leaf_cube(rows, LQCR)
    expected = spark.createDataFrame([
        (D1, "lqcr", "country=BR&is_seller=true", 1.0, 2.0),
        (D1, "lqcr", "country=BR&is_seller=false", 1.0, 1.0),
        (D1, "lqcr", "country=US&is_seller=false", 0.0, 1.0),
        (D1, "lqcr", "country=unknown&is_seller=unknown", 1.0, 1.0),
    ], "ds date, metric string, leaf string, numerator double, denominator double")
    assert_approx_df_equality(out, expected, precision=1e-9, ignore_row_order=True, ignore_nullable=True)
    count = build_leaf_cube(rows, MetricDefinition(name="n", description="", kind="count", rows="x",
                                                   dimensions=("country",)))
    assert {(r.leaf, r.numerator, r.denominator) for r in count.collect()} == {
        ("country=BR", 3.0, None), ("country=US", 2.0, None), ("country=unknown", 1.0, None)}


def test_zero_denominator_gives_null_and_counts_get_zero_totals(spark, dims):
    content = spark.createDataFrame([(D1, "a3", None)], "ds date, account_id string, quality_score double")
    out = build_metric(with_account_dims(content, dims), LQCR).filter("dimension = 'all'").collect()
    assert out[0].value is None and out[0].denominator == 0.0
    count = MetricDefinition(name="n", description="", kind="count", rows="x", dimensions=("country",))
    frame = build_metric(with_account_dims(content, dims), count)
    days = spark.createDataFrame([(D1,), (D2,)], "ds date")
    totals = {r.ds: (r.value, r.denominator) for r in with_zero_totals(frame, days, "n").filter(
        "dimension = 'all'").collect()}
    assert totals == {D1: (1.0, None), D2: (0.0, None)}


def test_render_rows_replaces_dates():
    defn = MetricDefinition(name="x", description="", kind="count",
                            rows="SELECT * FROM t WHERE ds BETWEEN {ds_from} AND {ds_to}")
    assert render_rows(defn, D1, D2).endswith("BETWEEN DATE'2026-01-10' AND DATE'2026-01-11'")


def test_psi_is_zero_for_the_same_distribution_and_grows_with_a_shift(spark):
    defn = MetricDefinition(name="psi", description="", kind="psi", dimensions=("country",))
    ref_day = D1 - dt.timedelta(days=7)
    base = [(ref_day, "BR", s) for s in (0.01, 0.03, 0.3, 0.6)]
    same = [(D1, "BR", s) for s in (0.01, 0.03, 0.3, 0.6)]
    shifted = [(D2, "BR", s) for s in (0.6, 0.6, 0.95, 0.95)] + [(D2 - dt.timedelta(days=7), "BR", 0.01)]
    df = spark.createDataFrame(base + same + shifted, "ds date, country string, score double")
    out = {(r.ds, r.dimension): r.value for r in build_psi(
        df.filter(df.ds >= D1), df, defn, lag_days=7, bins=(0.0, 0.02, 0.05, 0.5, 0.9, 1.0)).collect()}
    assert out[(D1, "all")] == pytest.approx(0.0)
    assert out[(D2, "all")] > 1.0


def test_ehi_is_the_weighted_mean_of_clipped_component_scores(spark):
    metrics = spark.createDataFrame([
        (D1, "lqcr", "all", "all", 0.25, 1.0, 4.0), (D1, "hq", "all", "all", 0.9, 9.0, 10.0),
        (D1, "lqcr", "country", "BR", 0.5, 1.0, 2.0),
    ], "ds date, metric string, dimension string, dimension_value string, value double, numerator double, "
       "denominator double")
    comps = (EhiComponent(metric="lqcr", weight=1.0, bad=0.5, good=0.0),
             EhiComponent(metric="hq", weight=3.0, bad=0.0, good=0.6))
    out = {r.dimension_value: r.value for r in build_ehi(metrics, comps, name="ehi").collect()}
    assert out["all"] == pytest.approx((1.0 * 50 + 3.0 * 100) / 4.0)
    assert out["BR"] is None  # one quarter of the weight present: below min_weight_share
