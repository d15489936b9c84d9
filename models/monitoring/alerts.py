"""Alert rows from scored series: incidents, one alert per move, severity, root cause, attribution (pandas).

Series-level incidents come from the detector (status new / continuing, the point it started, the point that
resolved it). Alerts group them per metric and direction of the move:

- a series incident that starts while another incident of the same metric moving the same way is open (or
  starts the same day) joins it: a slice that moves with its total, or the same move seen through another
  dimension, is part of one alert, not a new one;
- among incidents that start together, the total leads, else the slice with the largest |score|;
- `incident_id` = `metric|dimension=value|first day` of the leading series; `incident_start` its first day.

Rows: one per series and incident-day (`new` on the leading series' first day, `continuing` after it and on
every joined series), and a `resolved` row on the day the series is back in its band for good
(`resolved_on` = that day).
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from creator_governance.catalog import columns, schema
from creator_governance.models.metrics.definitions import TOTAL
from creator_governance.models.monitoring.attribution import attribute
from creator_governance.models.monitoring.localize import parse_cause
from creator_governance.models.monitoring.rootcause import breadth, rank_root_causes
from creator_governance.models.monitoring.segments import alert_causes, in_words

ALERT_COLUMNS = columns("alerts")
ALERTS_SCHEMA = schema("alerts")


def severity(score: float, *, threshold: float, medium: float, high: float) -> str:
    """low / medium / high by |score| in multiples of the threshold."""
    r = abs(score) / threshold
    return "high" if r >= high else "medium" if r >= medium else "low"


def warmup_metrics(definitions, *, derived: dict[str, tuple[str, ...]], sources: tuple[str, ...]) -> set[str]:
    """Metrics that warm up: a definition reading one of `sources`, or a derived metric (name -> the tables
    or metrics it is built on) that depends on one of those."""
    warm = {d.name for d in definitions if set(d.source_tables) & set(sources)}
    return warm | {name for name, parts in derived.items() if set(parts) & (warm | set(sources))}


def assign_incidents(scored: pd.DataFrame, events: list[dict] | None = None, lag_days: int = 1) -> pd.DataFrame:
    """Series rows in an incident (or resolving one) with `incident_id`, `incident_start`, `leads` (True for
    the series whose first day is the alert) and `direction` of the series' move. Among incidents that start
    together the total leads, then a slice that a governance event of the last `lag_days` names (a policy
    launched), then the largest |score|."""
    rows = scored[(scored["status"].isin(["new", "continuing"])) | scored["resolved"]].copy()
    if rows.empty:
        return rows.assign(incident_id=[], leads=[], direction=[])
    key = ["metric", "dimension", "dimension_value", "incident_start"]
    starts = rows.sort_values("ds").groupby(key, sort=False).head(1)
    starts = starts.assign(direction=[("up" if o >= e else "down") for o, e in
                                      zip(starts["observed"], starts["expected"].fillna(starts["observed"]))])
    # Open incidents per (metric, direction): id -> last day seen open.
    ids: dict[tuple, str] = {}
    leads: set[tuple] = set()
    spans = rows.groupby(key)["ds"].agg(["min", "max"])
    named = [(dim, val) in _event_scopes(events or [], _date(d), lag_days)
             for d, dim, val in zip(starts["incident_start"], starts["dimension"], starts["dimension_value"])]
    order = starts.assign(_total=starts["dimension"] != TOTAL, _unnamed=[not n for n in named],
                          _abs=-starts["score"].abs())
    for (metric, direction), group in order.sort_values(["incident_start", "_total", "_unnamed", "_abs"]).groupby(
            ["metric", "direction"], sort=False):
        open_ids: list[tuple[str, dt.date]] = []
        for r in group.itertuples():
            skey = (r.metric, r.dimension, r.dimension_value, r.incident_start)
            live = [i for i, last in open_ids if last >= r.incident_start]
            if live:
                ids[skey] = live[0]
            else:
                ids[skey] = f"{metric}|{r.dimension}={r.dimension_value}|{r.incident_start}"
                leads.add(skey)
            open_ids.append((ids[skey], spans.loc[skey, "max"]))
    direction = dict(zip(map(tuple, starts[key].to_numpy()), starts["direction"]))
    _join_replaced_values(ids, leads, direction, events or [], lag_days)
    keys = list(zip(rows["metric"], rows["dimension"], rows["dimension_value"], rows["incident_start"]))
    rows["incident_id"] = [ids[k] for k in keys]
    rows["leads"] = [k in leads for k in keys]
    rows["direction"] = [direction[k] for k in keys]
    return rows


def _join_replaced_values(ids: dict, leads: set, direction: dict, events: list[dict], lag_days: int) -> None:
    """A governance event's value taking volume from the other values of its dimension is one move: an incident
    of another value of that dimension, same metric, the opposite way, starting within `lag_days` after the
    event's own slice opened one, joins that incident (a new policy's decisions up, the policy it replaces down)."""
    launched = {}
    for (metric, dim, value, start), incident in ids.items():
        if (dim, value) in _event_scopes(events, _date(start), lag_days):
            launched[(metric, dim)] = (incident, _date(start), direction[(metric, dim, value, start)], value)
    for skey in sorted(leads, key=lambda k: _date(k[3])):
        metric, dim, value, start = skey
        hit = launched.get((metric, dim))
        if hit is None or value == hit[3] or direction[skey] == hit[2] or \
                not hit[1] <= _date(start) <= hit[1] + dt.timedelta(days=lag_days):
            continue
        replaced = ids[skey]
        for k, incident in ids.items():
            if incident == replaced:
                ids[k] = hit[0]
        leads.discard(skey)


def alertable_series(scored: pd.DataFrame, *, kinds: dict[str, str], settings,
                     alert_from: dict[str, dt.date] | None = None) -> pd.Series:
    """Rows of series that may alert on their own: not an explain-only dimension, a total for metrics of a
    totals-only kind or listed as totals-only, and not before the metric's `alert_from` day (warm-up)."""
    explain_only = scored["dimension"].isin(settings.explain_only_dimensions)
    totals_only = scored["metric"].map(lambda m: kinds.get(m, "ratio") in settings.totals_only_kinds
                                       or m in settings.totals_only_metrics)
    warming = pd.Series(False, index=scored.index)
    for metric, first in (alert_from or {}).items():
        warming |= (scored["metric"] == metric) & (scored["ds"] < first)
    return ~explain_only & ~(totals_only & (scored["dimension"] != TOTAL)) & ~warming


def build_alerts(scored: pd.DataFrame, *, targets: list[dt.date], kinds: dict[str, str],
                 good_direction: dict[str, str], events: list[dict], calendar: list[dict], settings,
                 alert_from: dict[str, dt.date] | None = None,
                 cubes: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Alert rows of the target days (columns ALERT_COLUMNS) from every scored series (SCORED_SCHEMA of
    series.py, incident days included). `settings`: the `alerts` settings section; `alert_from`: the first
    day each warming-up metric may alert (warmup_metrics); `cubes`: per metric its metric_cube rows (ds, leaf,
    numerator, denominator) over the baseline and target days. An alert's root cause is the conjunction search
    over its cube (segments.py); a metric without one (an index, a PSI) keeps the per-slice ranking."""
    alertable = alertable_series(scored, kinds=kinds, settings=settings, alert_from=alert_from)
    rows = assign_incidents(scored[alertable], events, settings.attribution.event_lag_days)
    rows = rows[rows["ds"].isin(targets)]
    out = []
    for (metric, ds), day in rows.groupby(["metric", "ds"], sort=True):
        kind = kinds.get(metric, "ratio")
        cube = scored[(scored["metric"] == metric) & (scored["ds"] == ds)]
        named = _event_scopes(events, _date(ds), settings.attribution.event_lag_days)
        slices = None
        broad = breadth(cube, kind=kind)
        for a in day.itertuples():
            status = "resolved" if a.resolved else "new" if (a.leads and a.ds == a.incident_start) else "continuing"
            causes = None
            if not a.resolved and cubes is not None and metric in cubes:
                causes = alert_causes(cubes[metric], scope=(a.dimension, a.dimension_value), ds=_date(ds),
                                      incident_start=_date(a.incident_start), expected=_num(a.expected), kind=kind,
                                      baseline_days=settings.rca.baseline_days,
                                      params=settings.rca.search())
            if causes is None:  # no leaves to search: the per-slice ranking of the metric-day
                if slices is None:
                    slices = rank_root_causes(cube, kind=kind,
                                              min_explanatory_power=settings.root_cause.min_explanatory_power,
                                              top_k=settings.root_cause.top_k)
                causes = slices
            # A lever launched that day (or within the event lag) explains the move it coincides with: first.
            causes = sorted(causes, key=lambda c: not set(parse_cause(c["cause"])) & named)
            cause_kind, why = attribute(
                ds=_date(ds), alert_slice=(a.dimension, a.dimension_value), candidates=causes, cube=cube,
                kind=kind, breadth=broad, events=events, calendar=calendar,
                lag_days=settings.attribution.event_lag_days, broad_share=settings.attribution.broad_share)
            out.append({
                "ds": _date(ds), "metric": metric, "dimension": a.dimension, "dimension_value": a.dimension_value,
                "observed": _num(a.observed), "expected": _num(a.expected), "lower": _num(a.lower),
                "upper": _num(a.upper), "score": _num(a.score),
                "severity": severity(a.score if a.score == a.score else 0.0, threshold=settings.detector.threshold,
                                     medium=settings.severity_medium, high=settings.severity_high),
                "direction": a.direction, "is_bad": a.direction != good_direction.get(metric, "down"),
                "status": status, "incident_id": a.incident_id, "incident_start": _date(a.incident_start),
                "resolved_on": _date(ds) if a.resolved else None,
                "root_cause": json.dumps(causes), "top_cause": _top(causes), "cause_kind": cause_kind,
                "explanation": _headline(a, metric, status, causes) + "; " + why,
            })
    return pd.DataFrame(out, columns=list(ALERT_COLUMNS))


def _event_scopes(events: list[dict], day: dt.date, lag_days: int) -> set[tuple[str, str]]:
    """(dimension, value) scopes of the governance events dated in [day - lag_days, day]."""
    return {(e.get("scope_dimension"), e.get("scope_value")) for e in events
            if day - dt.timedelta(days=lag_days) <= _date(e["ds"]) <= day}


def _num(value) -> float | None:
    return None if value is None or value != value else float(value)


def _top(candidates: list[dict]) -> str | None:
    return candidates[0]["cause"] if candidates else None


def _cause_words(a, causes: list[dict]) -> str:
    """The top cause in words, or why there is none: 'country BR, category beauty explain 86 % of the drop'."""
    move = "rise" if a.direction == "up" else "drop"
    if not causes:
        where = "everywhere" if a.dimension == TOTAL else f"across {a.dimension}={a.dimension_value}"
        return f"broad move: no segment explains the {move}, it is spread {where}"
    c = causes[0]
    share = c.get("explanatory_power")
    words = in_words(c["cause"])
    verb = "explain" if "&" in c["cause"] or words.endswith("sellers") else "explains"
    text = f"{words} {verb} {share:.0%} of the {move}" if share is not None else words
    if len(causes) > 1:
        text += f" (with {', '.join(x['cause'] for x in causes[1:])})"
    return text


def _headline(a, metric: str, status: str, causes: list[dict]) -> str:
    where = "overall" if a.dimension == TOTAL else f"for {a.dimension}={a.dimension_value}"
    rel = f" ({a.observed / a.expected - 1:+.0%})" if a.expected else ""
    if status == "resolved":
        return f"{metric} {where} is back in its band at {a.observed:.4g} (expected {a.expected:.4g}): incident " \
               f"of {a.incident_start} resolved"
    text = (f"{_cause_words(a, causes)}: {metric} {where} went {a.direction} to {a.observed:.4g}, expected "
            f"{a.expected:.4g}{rel}, band [{a.lower:.4g}, {a.upper:.4g}]")
    if status == "continuing":
        text += f", part of the incident {a.incident_id} open since {a.incident_start}"
    return text


def _date(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, dt.date) else pd.Timestamp(value).date()
