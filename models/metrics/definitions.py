"""Helpers over the metric definitions of the config (`metrics.definitions`, conf/base/metrics.yaml: validated
MetricDefinition sections the job passes in as they are): their SQL text and sources."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from creator_governance.features import sqltext

if TYPE_CHECKING:  # annotations only
    from creator_governance.settings.metrics import MetricDefinition

ACCOUNT_DIMENSIONS = ("country", "category", "age_bucket", "is_seller", "risk_tier")
TOTAL = "all"


def render_rows(defn: MetricDefinition, ds_from: dt.date, ds_to: dt.date) -> str:
    """The metric's rows SQL with `{ds_from}` / `{ds_to}` replaced by DATE literals."""
    return defn.rows.replace("{ds_from}", sqltext.date(ds_from)).replace("{ds_to}", sqltext.date(ds_to))


def missing_sources(defn: MetricDefinition, available: set[str]) -> list[str]:
    """Source tables of the metric that do not exist (the metric is then skipped, with this as reason)."""
    return [t for t in defn.source_tables if t not in available]


def age_bucket_labels(edges: tuple[int, ...]) -> list[str]:
    """Labels of account-age buckets from their edges in days: (7, 30) → 0-6d, 7-29d, 30d+."""
    bounds = [0, *edges]
    labels = [f"{lo}-{hi - 1}d" for lo, hi in zip(bounds, bounds[1:])]
    return [*labels, f"{bounds[-1]}d+"]
