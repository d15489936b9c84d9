"""Is a move a governance intervention or an outside factor?

Evidence, for an alert on metric m, day d:
- governance events (strategy launched/changed, enforcement jump, or a lever value — a policy, strategy or
  decision source — first seen after `launch_quiet_days` without volume) dated in [d − lag, d] whose scope
  (dimension, value) is `all`, the alert's own slice or a dimension value of one of its top three causes (a
  policy launched in one country matches the cause `policy=p&country=c`);
- calendar days (holidays, campaigns from config) on d;
- the affected vs unaffected populations: inside the event's scope vs outside it, and the breadth of the move
  (share of every dimension's volume that moved alike — a broad move hits every slice, a targeted one does not).

Decision: a matching event with a move concentrated in its scope → intervention; a calendar day with a broad
move → outside_factor; both → the population comparison decides; a broad move with neither → outside_factor
(not in the calendar); otherwise unknown.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from creator_governance.models.metrics.definitions import TOTAL
from creator_governance.models.monitoring.localize import parse_cause


def derive_lever_events(metrics: pd.DataFrame, *, lever_dimensions: tuple[str, ...], quiet_days: int,
                        targets: list[dt.date]) -> list[dict]:
    """Events read from the metrics themselves: a lever value (e.g. policy=integrity_v2) with volume on a
    target day and none in the `quiet_days` before (metrics: ds, metric, dimension, dimension_value, numerator)."""
    levers = metrics[metrics["dimension"].isin(lever_dimensions) & (metrics["numerator"] > 0)]
    events = []
    for (metric, dim, value), g in levers.groupby(["metric", "dimension", "dimension_value"]):
        days = sorted(pd.to_datetime(g["ds"]).dt.date)
        history_start = min(pd.to_datetime(metrics["ds"]).dt.date)
        for day in targets:
            if day not in days or (day - history_start).days < quiet_days:
                continue
            before = [x for x in days if day - dt.timedelta(days=quiet_days) <= x < day]
            if not before:
                events.append({"ds": day, "kind": f"{dim}_launch", "scope_dimension": dim, "scope_value": value,
                               "description": f"{dim} {value} first seen in {metric} "
                                              f"(no volume in the previous {quiet_days} days)"})
    unique = {(e["ds"], e["scope_dimension"], e["scope_value"]): e for e in events}
    return list(unique.values())


def _scope_change(cube: pd.DataFrame, dimension: str, value: str, kind: str) -> tuple[float, float] | None:
    """Relative change inside and outside a scope, from the cube's slices of `dimension`."""
    g = cube[cube["dimension"] == dimension]
    if g.empty or value not in set(g["dimension_value"]):
        return None
    w = g["denominator"].fillna(0.0) if kind == "ratio" else 1.0
    obs, exp = g["observed"].fillna(0.0) * w, g["expected"].fillna(0.0) * w
    inside = g["dimension_value"] == value

    def rel(mask) -> float:
        e = float(exp[mask].sum())
        if not e:
            return float("inf") if float(obs[mask].sum()) > 0 else float("nan")
        return float(obs[mask].sum()) / e - 1.0

    return rel(inside), rel(~inside)


def _pct(x: float) -> str:
    if x == float("inf"):
        return "from nothing expected to new volume"
    return "n/a" if x != x else f"{x:+.0%}"


def attribute(*, ds: dt.date, alert_slice: tuple[str, str], candidates: list[dict], cube: pd.DataFrame,
              kind: str, breadth: float, events: list[dict], calendar: list[dict], lag_days: int = 1,
              broad_share: float = 0.75) -> tuple[str, str]:
    """(cause_kind, explanation) for one alert: intervention, outside_factor or unknown, in plain words."""
    focus = {alert_slice, *[pair for c in candidates[:3] for pair in parse_cause(c["cause"])]}
    near = [e for e in events if ds - dt.timedelta(days=lag_days) <= _as_date(e["ds"]) <= ds]
    matching = [e for e in near if (e.get("scope_dimension") or TOTAL) == TOTAL
                or (e.get("scope_dimension"), e.get("scope_value")) in focus]
    today = [c for c in calendar if _as_date(c["date"]) == ds]
    is_broad = breadth == breadth and breadth >= broad_share
    parts = []
    concentrated_in_event = False
    for e in matching[:2]:
        scope = f"{e.get('scope_dimension')}={e.get('scope_value')}"
        change = None
        if (e.get("scope_dimension") or TOTAL) != TOTAL:
            change = _scope_change(cube, e["scope_dimension"], e["scope_value"], kind)
        if change:
            inside, outside = change
            concentrated_in_event = concentrated_in_event or abs(inside) > 2 * abs(outside) or not is_broad
            parts.append(f"it lines up with {e['kind']} on {_as_date(e['ds'])} ({e['description']}): "
                         f"inside {scope} the metric moved {_pct(inside)} vs expected, outside {_pct(outside)}")
        else:
            concentrated_in_event = concentrated_in_event or not is_broad
            parts.append(f"it lines up with {e['kind']} on {_as_date(e['ds'])} ({e['description']}, scope {scope})")
    for c in today:
        parts.append(f"{ds} is a calendar {c['kind']} ({c['name']})")
    breadth_text = ("the move is broad: at least {:.0%} of every dimension's volume moved alike".format(breadth)
                    if is_broad else "the move is concentrated: most slices did not move alike"
                    if breadth == breadth else "breadth unknown")
    parts.append(breadth_text)
    if matching and (not today or concentrated_in_event) and not (today and is_broad and not concentrated_in_event):
        kind_out = "intervention"
    elif today:
        kind_out = "outside_factor"
    elif is_broad:
        kind_out = "outside_factor"
        parts.append("no governance event matches, so likely an outside factor missing from the calendar")
    else:
        kind_out = "unknown"
        parts.append("no governance event or calendar day matches")
    return kind_out, "; ".join(parts)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()
