"""Settings of metric monitoring, alerts and root cause (conf/base/alerts.yaml)."""

import datetime as dt
from typing import Literal

from pydantic import Field

from creator_governance.settings._base import Section


class DetectorSettings(Section):
    """The robust seasonal detector (models/monitoring/detector.py)."""

    season: int | None = Field(None, ge=2)
    max_season: int = Field(60, ge=2)
    min_acf: float = Field(0.3, gt=0.0, le=1.0)
    threshold: float = Field(4.0, gt=0.0)
    min_history: int = Field(7, ge=2)
    window: int = Field(56, ge=7)
    level_window: int = Field(14, ge=1)
    min_relative_change: float = Field(0.05, ge=0.0)
    relative_floor: float = Field(0.01, ge=0.0)
    min_count: float = Field(10.0, ge=0.0)
    min_denominator: float = Field(30.0, ge=0.0)
    shift_after: int = Field(4, ge=1)
    resolve_after: int = Field(2, ge=1)
    resolve_season_share: float = Field(0.1, ge=0.0, le=1.0)
    novelty_episodes: int = Field(3, ge=0)
    sustained_points: int = Field(2, ge=1)
    ratio_tail_df: int = Field(5, ge=1)
    sibling_correction: bool = True


class RootCauseSettings(Section):
    """Adtributor-style ranking of the dimension values that explain a move."""

    min_explanatory_power: float = Field(0.1, ge=0.0, le=1.0)
    top_k: int = Field(5, ge=1)


class AttributionSettings(Section):
    """Telling a governance intervention from an outside factor."""

    event_lag_days: int = Field(1, ge=0)
    broad_share: float = Field(0.75, ge=0.0, le=1.0)
    launch_quiet_days: int = Field(7, ge=1)
    lever_dimensions: tuple[str, ...] = ("policy", "strategy_id", "source")


class RcaSettings(Section):
    """Root cause over combinations of dimensions (models/monitoring/localize.py, `govern rca`)."""

    max_layer: int = Field(3, ge=1)
    max_causes: int = Field(5, ge=1)
    significance: float = Field(5.0, gt=0.0)
    min_change: float = Field(0.05, ge=0.0)
    min_share: float = Field(0.005, ge=0.0, le=1.0)
    follow_share: float = Field(0.8, gt=0.0, le=1.0)
    separation: float = Field(3.0, gt=0.0)
    child_weight_power: float = Field(0.5, ge=0.0)
    baseline_days: int = Field(28, ge=1)

    def search(self) -> dict:
        """The keyword arguments of models.monitoring.localize.localize (every key but baseline_days)."""
        return self.model_dump(exclude={"baseline_days"})


class CalendarDay(Section):
    """A known outside factor: a holiday or a campaign."""

    date: dt.date
    name: str
    kind: Literal["holiday", "campaign"] = "holiday"


class AlertsSettings(Section):
    """Settings of `govern monitor` and `govern detect`."""

    history_days: int = Field(56, ge=7)
    severity_medium: float = Field(1.5, ge=1.0)
    severity_high: float = Field(2.5, ge=1.0)
    explain_only_dimensions: tuple[str, ...] = ("risk_tier", "age_bucket")
    totals_only_kinds: tuple[str, ...] = ("index", "psi")
    totals_only_metrics: tuple[str, ...] = ("risky_seller_gmv_share",)
    warmup_days: int = Field(28, ge=0)
    warmup_sources: tuple[str, ...] = ("creator_features", "creator_scores", "strategy_hits")
    detector: DetectorSettings = Field(default_factory=DetectorSettings)
    root_cause: RootCauseSettings = Field(default_factory=RootCauseSettings)
    attribution: AttributionSettings = Field(default_factory=AttributionSettings)
    calendar: tuple[CalendarDay, ...] = ()
    rca: RcaSettings = Field(default_factory=RcaSettings)
