"""Alert rows from scored series: severity, root cause, attribution, plain-words explanation (pandas)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd

from models.metrics.definitions import TOTAL
from models.monitoring.attribution import attribute
from models.monitoring.rootcause import breadth, rank_root_causes

ALERT_COLUMNS = (
    "ds", "metric", "dimension", "dimension_value", "observed", "expected", "lower", "upper", "score", "severity",
    "direction", "is_bad", "status", "root_cause", "top_cause", "cause_kind", "explanation",
)
ALERTS_SCHEMA = (
    "ds date, metric string, dimension string, dimension_value string, observed double, expected double, "
    "lower double, upper double, score double, severity string, direction string, is_bad boolean, "
    "status string, root_cause string, top_cause string, cause_kind string, explanation string"
)


@dataclass(frozen=True)
class AlertParams:
    """How alerts are graded and explained (conf/base/alerts.yaml)."""

    threshold: float = 4.0
    severity_medium: float = 1.5
    severity_high: float = 2.5
    min_explanatory_power: float = 0.1
    top_k: int = 5
    event_lag_days: int = 1
    broad_share: float = 0.75


def severity(score: float, p: AlertParams) -> str:
    """low / medium / high by |score| in multiples of the threshold."""
    r = abs(score) / p.threshold
    return "high" if r >= p.severity_high else "medium" if r >= p.severity_medium else "low"


def build_alerts(scored: pd.DataFrame, *, kinds: dict[str, str], good_direction: dict[str, str],
                 events: list[dict], calendar: list[dict], params: AlertParams) -> pd.DataFrame:
    """One row per flagged (ds, metric, dimension, dimension_value), columns ALERT_COLUMNS.

    `scored`: every series on the target days (SCORED_SCHEMA of series.py); the whole metric-day cube is used
    for the root cause, which every alert of that metric and day shares.
    """
    flagged = scored[scored["is_anomaly"]]
    rows = []
    for (metric, ds), alerts in flagged.groupby(["metric", "ds"], sort=True):
        kind = kinds.get(metric, "ratio")
        cube = scored[(scored["metric"] == metric) & (scored["ds"] == ds)]
        candidates = rank_root_causes(cube, kind=kind, min_explanatory_power=params.min_explanatory_power,
                                      top_k=params.top_k)
        broad = breadth(cube, kind=kind)
        for a in alerts.itertuples():
            move = "up" if a.observed >= a.expected else "down"
            cause_kind, why = attribute(
                ds=_date(ds), alert_slice=(a.dimension, a.dimension_value), candidates=candidates, cube=cube,
                kind=kind, breadth=broad, events=events, calendar=calendar, lag_days=params.event_lag_days,
                broad_share=params.broad_share)
            rows.append({
                "ds": _date(ds), "metric": metric, "dimension": a.dimension, "dimension_value": a.dimension_value,
                "observed": float(a.observed), "expected": float(a.expected), "lower": float(a.lower),
                "upper": float(a.upper), "score": float(a.score), "severity": severity(a.score, params),
                "direction": move, "is_bad": move != good_direction.get(metric, "down"), "status": a.status,
                "root_cause": json.dumps(candidates), "top_cause": _top(candidates),
                "cause_kind": cause_kind, "explanation": _headline(a, metric, move, candidates) + "; " + why,
            })
    return pd.DataFrame(rows, columns=list(ALERT_COLUMNS))


def _top(candidates: list[dict]) -> str | None:
    return f"{candidates[0]['dimension']}={candidates[0]['dimension_value']}" if candidates else None


def _headline(a, metric: str, move: str, candidates: list[dict]) -> str:
    where = "overall" if a.dimension == TOTAL else f"for {a.dimension}={a.dimension_value}"
    rel = f" ({a.observed / a.expected - 1:+.0%})" if a.expected else ""
    text = (f"{metric} {where} went {move} to {a.observed:.4g}, expected {a.expected:.4g}{rel}, "
            f"band [{a.lower:.4g}, {a.upper:.4g}]")
    if a.status == "suppressed":
        text += ", continuing an incident flagged the day before"
    if candidates:
        c = candidates[0]
        text += (f"; top cause {c['dimension']}={c['dimension_value']} explains {c['explanatory_power']:.0%} "
                 f"of the change (surprise {c['surprise']:.3f})")
    return text


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else pd.Timestamp(value).date()
