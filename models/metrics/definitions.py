"""Metric definitions as plain values (parsed by the job from conf/base/metrics.yaml) and their SQL text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ACCOUNT_DIMENSIONS = ("country", "category", "age_bucket", "is_seller", "risk_tier")
TOTAL = "all"


@dataclass(frozen=True)
class MetricDef:
    """One metric: `rows` is SQL giving one row per entity and day (with `ds` and `account_id`); `numerator`
    and `denominator` are SQL expressions summed over those rows (after the account dimensions are joined)."""

    name: str
    description: str = ""
    kind: str = "ratio"  # count | ratio | psi | index
    source_tables: tuple[str, ...] = ()
    rows: str = ""
    numerator: str = "1"
    denominator: str | None = None
    direction: str = "down"
    dimensions: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class EhiComponentDef:
    """A component of the Ecosystem Health Index: scored 0 at `bad`, 100 at `good`, clipped."""

    metric: str
    weight: float
    bad: float
    good: float


def render_rows(defn: MetricDef, ds_from: dt.date, ds_to: dt.date) -> str:
    """The metric's rows SQL with `{ds_from}` / `{ds_to}` replaced by DATE literals."""
    return defn.rows.replace("{ds_from}", f"DATE'{ds_from.isoformat()}'").replace(
        "{ds_to}", f"DATE'{ds_to.isoformat()}'")


def missing_sources(defn: MetricDef, available: set[str]) -> list[str]:
    """Source tables of the metric that do not exist (the metric is then skipped, with this as reason)."""
    return [t for t in defn.source_tables if t not in available]


def age_bucket_labels(edges: tuple[int, ...]) -> list[str]:
    """Labels of account-age buckets from their edges in days: (7, 30) → 0-6d, 7-29d, 30d+."""
    bounds = [0, *edges]
    labels = [f"{lo}-{hi - 1}d" for lo, hi in zip(bounds, bounds[1:])]
    return [*labels, f"{bounds[-1]}d+"]
