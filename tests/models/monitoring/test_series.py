"""The detector over every series with applyInPandas; incidents grouped into one alert per move."""

import datetime as dt
import json

import numpy as np
import pandas as pd

from creator_governance.config import load_config
from creator_governance.models.monitoring.alerts import assign_incidents, build_alerts
from creator_governance.models.monitoring.series import score_all

START = dt.date(2026, 1, 1)
SCHEMA = ("ds date, metric string, dimension string, dimension_value string, value double, numerator double, "
          "denominator double")


def registrations(spike_days=(25, 26), n=28):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        day = START + dt.timedelta(days=i)
        br = float(rng.poisson(50) + (200 if i in spike_days else 0))
        us = float(rng.poisson(100))
        rows += [(day, "reg", "country", "BR", br, br, None), (day, "reg", "country", "US", us, us, None),
                 (day, "reg", "all", "all", br + us, br + us, None)]
    return rows


def test_series_are_scored_in_parallel_and_a_slice_moving_with_its_total_is_one_alert(spark):
    settings = load_config().alerts
    metrics = spark.createDataFrame(registrations(), SCHEMA)
    targets = [START + dt.timedelta(days=i) for i in (24, 25, 26)]
    scored = score_all(metrics, targets=targets, params=settings.detector, season=None,
                       kinds={"reg": "count"}).toPandas()
    assert len(scored) == 9
    br = scored[scored.dimension_value == "BR"].set_index("ds")
    assert list(br["status"]) == ["", "new", "continuing"]
    alerts = build_alerts(scored, targets=targets, kinds={"reg": "count"}, good_direction={"reg": "up"},
                          events=[], calendar=[], settings=settings)
    new = alerts[alerts.status == "new"]
    # The total and BR moved together on day 25: one new alert, on the total; BR is part of it.
    assert list(zip(new.ds, new.dimension)) == [(targets[1], "all")]
    first = new.iloc[0]
    assert first.incident_id == f"reg|all=all|{targets[1]}" and first.incident_start == targets[1]
    assert first.top_cause == "country=BR" and json.loads(first.root_cause)[0]["cause"] == "country=BR"
    assert "reg overall went up" in first.explanation
    joined = alerts[(alerts.dimension_value == "BR") & (alerts.ds == targets[1])].iloc[0]
    assert joined.status == "continuing" and joined.incident_id == first.incident_id


def test_series_spread_over_tasks_score_as_in_one(spark):
    settings = load_config().alerts
    metrics = spark.createDataFrame(registrations(), SCHEMA).coalesce(1)
    targets = [START + dt.timedelta(days=i) for i in (24, 25, 26)]

    def scored(partitions):
        out = score_all(metrics, targets=targets, params=settings.detector, season=None, kinds={"reg": "count"},
                        partitions=partitions)
        return out, out.toPandas().sort_values(["dimension_value", "ds"]).reset_index(drop=True)

    spread, spread_rows = scored(3)
    _, one_rows = scored(None)
    assert spread.rdd.getNumPartitions() == 3
    pd.testing.assert_frame_equal(spread_rows, one_rows)


def scored_rows(rows):
    cols = ["metric", "dimension", "dimension_value", "ds", "observed", "expected", "score", "status",
            "incident_start", "resolved"]
    return pd.DataFrame(rows, columns=cols)


def d(i):
    return START + dt.timedelta(days=i)


def test_a_slice_incident_that_starts_inside_an_open_one_joins_it_and_a_later_one_is_new():
    scored = scored_rows([
        ("m", "category", "beauty", d(1), 3.0, 14.0, -5.0, "new", d(1), False),
        ("m", "category", "beauty", d(2), 1.0, 14.0, -6.0, "continuing", d(1), False),
        ("m", "risk_tier", "low", d(2), 50.0, 70.0, -4.5, "new", d(2), False),
        ("m", "category", "beauty", d(3), 14.0, 14.0, 0.0, "", d(1), True),
        ("m", "country", "BR", d(9), 40.0, 10.0, 8.0, "new", d(9), False),
        ("m", "country", "DE", d(9), 5.0, 20.0, -4.2, "new", d(9), False),
    ])
    rows = assign_incidents(scored).set_index(["dimension_value", "ds"])
    beauty = f"m|category=beauty|{d(1)}"
    assert rows.loc[("low", d(2)), "incident_id"] == beauty and not rows.loc[("low", d(2)), "leads"]
    assert rows.loc[("beauty", d(3)), "incident_id"] == beauty
    # Opposite directions on one day are two moves.
    assert rows.loc[("BR", d(9)), "leads"] and rows.loc[("DE", d(9)), "leads"]


def test_a_lever_launched_that_day_is_the_top_cause_of_a_tie():
    settings = load_config().alerts
    day = d(24)
    rows = [("m", "all", "all", day, 12.0, 2.5, 0.0, 11.0, 4.2, "new", day, False, 12.0, None),
            ("m", "source", "auto", day, 12.0, 0.0, 0.0, 2.0, 11.3, "new", day, False, 12.0, None),
            ("m", "source", "human", day, 0.0, 2.5, 0.0, 9.0, -1.0, "", None, False, 0.0, None),
            ("m", "policy", "integrity_v2", day, 12.0, 0.0, 0.0, 2.0, 11.3, "new", day, False, 12.0, None),
            ("m", "policy", "standard", day, 0.0, 2.5, 0.0, 9.0, -1.0, "", None, False, 0.0, None)]
    scored = pd.DataFrame(rows, columns=["metric", "dimension", "dimension_value", "ds", "observed", "expected",
                                         "lower", "upper", "score", "status", "incident_start", "resolved",
                                         "numerator", "denominator"])
    for dimension, value in (("policy", "integrity_v2"), ("source", "auto")):
        launch = [{"ds": day, "kind": f"{dimension}_launch", "scope_dimension": dimension, "scope_value": value,
                   "description": f"{dimension} {value} first seen"}]
        top = f"{dimension}={value}"
        alerts = build_alerts(scored, targets=[day], kinds={"m": "count"}, good_direction={"m": "down"},
                              events=launch, calendar=[], settings=settings)
        new = alerts[alerts.status == "new"]
        assert list(new.dimension) == ["all"] and new.iloc[0].top_cause == top


def test_a_rate_move_carried_by_few_accounts_is_scored_on_its_effective_denominator(spark):
    """Reports per account (a rate: the numerator is not part of the denominator) falling from 1.5 to 1.2 over
    400 accounts is a 5σ move when the accounts are independent; when one account carries the day (an
    effective denominator of 40 trials) it is within noise."""
    settings = load_config().alerts
    rng = np.random.default_rng(3)
    nums = [float(rng.poisson(600)) for _ in range(28)]
    nums[25] = 480.0

    def rows(effective_on_drop):
        return [(d(i), "rate", "all", "all", n / 400.0, n, 400.0, effective_on_drop if i == 25 else 400.0)
                for i, n in enumerate(nums)]

    schema = SCHEMA + ", effective_denominator double"
    day = [d(25)]

    def scored(frame_rows, schema=schema):
        return score_all(spark.createDataFrame(frame_rows, schema), targets=day, params=settings.detector,
                         season=None, kinds={"rate": "ratio"}).toPandas().iloc[0]

    independent, burst = scored(rows(400.0)), scored(rows(40.0))
    assert independent.status == "new" and independent.score < -4
    assert burst.status == "" and burst.score > -4
    # Rows written before the column existed are scored on the denominator.
    assert scored([r[:-1] for r in rows(40.0)], SCHEMA).status == "new"


def test_the_value_a_launched_policy_replaces_is_part_of_the_launch_s_move():
    """integrity_v2 launches on day 24 and takes the decisions the old policy made: one move, led by the launch.
    A drop of the old policy on its own (no launch) stays its own alert."""
    def scored(with_launch_slice):
        rows = [("m", "policy", "spam", d(24), 2.0, 10.0, -5.0, "new", d(24), False),
                ("m", "policy", "spam", d(25), 1.0, 10.0, -6.0, "continuing", d(24), False)]
        if with_launch_slice:
            rows += [("m", "policy", "integrity_v2", d(24), 12.0, 0.0, 9.0, "new", d(24), False)]
        return scored_rows(rows)

    launch = [{"ds": d(24), "kind": "policy_launch", "scope_dimension": "policy", "scope_value": "integrity_v2",
               "description": "policy integrity_v2 first seen"}]
    rows = assign_incidents(scored(True), launch).set_index(["dimension_value", "ds"])
    launch_id = f"m|policy=integrity_v2|{d(24)}"
    assert rows.loc[("spam", d(24)), "incident_id"] == launch_id and rows.loc[("spam", d(25)), "incident_id"] == launch_id
    assert rows.loc[("integrity_v2", d(24)), "leads"] and not rows.loc[("spam", d(24)), "leads"]
    alone = assign_incidents(scored(False), launch).set_index(["dimension_value", "ds"])
    assert alone.loc[("spam", d(24)), "leads"] and alone.loc[("spam", d(24)), "incident_id"] == f"m|policy=spam|{d(24)}"


def test_slices_are_tested_as_a_family_and_borrow_their_total_s_weekly_cycle(spark):
    from scipy import stats

    settings = load_config().alerts
    spike = float(stats.poisson.isf(stats.norm.sf(4.25), 100))
    week = np.array([0.8, 0.8, 0.8, 0.8, 0.9, 1.5, 1.4])
    rng = np.random.default_rng(1)
    rows = []
    for i in range(42):
        day = START + dt.timedelta(days=i)
        # Ten steady countries; C0 makes a one-day excursion of 4.25σ on day 40.
        values = [spike if (c == 0 and i == 40) else 100.0 for c in range(10)]
        rows += [(day, "reg", "country", f"C{c}", v, v, None) for c, v in enumerate(values)]
        rows.append((day, "reg", "all", "all", sum(values), sum(values), None))
        # A sparse slice of a weekly metric whose total shows the cycle.
        sparse = float(rng.poisson(4 * week[i % 7]))
        total = float(rng.poisson(2000 * week[i % 7]))
        rows += [(day, "posts", "category", "tiny", sparse, sparse, None),
                 (day, "posts", "all", "all", total, total, None)]
    metrics = spark.createDataFrame(rows, SCHEMA)
    targets = [START + dt.timedelta(days=i) for i in (39, 40, 41)]
    kinds = {"reg": "count", "posts": "count"}

    def scored(detector):
        out = score_all(metrics, targets=targets, params=detector, season="auto", kinds=kinds).toPandas()
        return out.set_index(["metric", "dimension_value", "ds"])

    family = scored(settings.detector)
    alone = scored(settings.detector.model_copy(update={"sibling_correction": False}))
    # One of ten slices: beyond the single-series threshold, within the family's.
    assert alone.loc[("reg", "C0", targets[1]), "is_anomaly"]
    assert not family.loc[("reg", "C0", targets[1]), "is_anomaly"]
    assert not family.loc[("reg", "all", targets[1]), "is_anomaly"]
    # The sparse slice is forecast with its total's weekly cycle.
    assert (family.loc[("posts", "tiny", targets[0]), "season"] == 7)
