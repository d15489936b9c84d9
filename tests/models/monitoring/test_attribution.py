"""Intervention vs outside factor on hand-made events and calendars."""

import datetime as dt

import pandas as pd

from creator_governance.models.monitoring.attribution import attribute, derive_lever_events

DAY = dt.date(2026, 1, 25)


def cube(rows):
    return pd.DataFrame(rows, columns=["dimension", "dimension_value", "observed", "expected", "denominator"])


POLICY_JUMP = cube([("all", "all", 300, 100, None), ("policy", "new_policy", 250, 0, None),
                    ("policy", "spam", 50, 100, None), ("country", "BR", 150, 50, None), ("country", "US", 150, 50, None)])
GLOBAL_DIP = cube([("all", "all", 60, 100, None), ("country", "BR", 30, 50, None), ("country", "US", 30, 50, None)])
EVENT = {"ds": DAY, "kind": "strategy_launch", "scope_dimension": "policy", "scope_value": "new_policy",
         "description": "new_policy launched"}
HOLIDAY = {"date": DAY, "name": "Winter holiday", "kind": "holiday"}
TOP = [{"cause": "policy=new_policy", "explanatory_power": 1.25, "share_of_move": 0.9}]


def test_an_event_whose_scope_carries_the_move_is_an_intervention():
    kind, why = attribute(ds=DAY, alert_slice=("all", "all"), candidates=TOP, cube=POLICY_JUMP, kind="count",
                          breadth=0.5, events=[EVENT], calendar=[])
    assert kind == "intervention" and "new_policy launched" in why and "inside policy=new_policy" in why


def test_a_broad_move_on_a_holiday_is_an_outside_factor_even_with_an_unrelated_event():
    kind, why = attribute(ds=DAY, alert_slice=("all", "all"), candidates=[], cube=GLOBAL_DIP, kind="count",
                          breadth=1.0, events=[{**EVENT, "scope_value": "other"}], calendar=[HOLIDAY])
    assert kind == "outside_factor" and "Winter holiday" in why


def test_no_evidence_and_a_concentrated_move_is_unknown():
    kind, _ = attribute(ds=DAY, alert_slice=("country", "BR"), candidates=[], cube=GLOBAL_DIP, kind="count",
                        breadth=0.3, events=[], calendar=[])
    assert kind == "unknown"


def test_events_outside_the_lag_window_do_not_count():
    kind, _ = attribute(ds=DAY, alert_slice=("all", "all"), candidates=TOP, cube=POLICY_JUMP, kind="count",
                        breadth=0.5, events=[{**EVENT, "ds": DAY - dt.timedelta(days=5)}], calendar=[], lag_days=1)
    assert kind == "unknown"


def test_a_lever_value_first_seen_after_a_quiet_week_is_a_launch_event():
    days = [DAY - dt.timedelta(days=i) for i in range(10)]
    metrics = pd.DataFrame(
        [(d, "enf", "policy", "spam", 5.0) for d in days] + [(DAY, "enf", "policy", "new_policy", 9.0)],
        columns=["ds", "metric", "dimension", "dimension_value", "numerator"])
    events = derive_lever_events(metrics, lever_dimensions=("policy",), quiet_days=7, targets=[DAY])
    assert [(e["scope_dimension"], e["scope_value"], e["ds"]) for e in events] == [("policy", "new_policy", DAY)]
