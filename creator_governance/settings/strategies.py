"""Settings of strategies, lists, backtests, review sampling and the credit score (conf/base/strategies.yaml), and
the schema of one strategy of the library (conf/strategies/*.yaml, read by jobs/library.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from creator_governance.settings._base import Section


class ListSettings(Section):
    """One named allow or deny list usable in conditions as in_list('name', column)."""

    kind: Literal["account", "device", "fingerprint", "seller"]
    type: Literal["allow", "deny"]
    description: str = ""


class BacktestSettings(Section):
    """How backtests label hits and sweep thresholds."""

    horizon_days: int = Field(14, ge=0)
    label_lookback_days: int = Field(7, ge=0)
    target_precision: float = Field(0.9, gt=0, le=1)
    min_reviewed: int = Field(5, ge=1)
    sweep_points: int = Field(20, ge=2)
    high_credit_tiers: list[str] = Field(default_factory=lambda: ["excellent"])


class SamplingSettings(Section):
    """The daily stratified review sample."""

    enabled: bool = True
    score_band_edges: list[float] = Field(default_factory=lambda: [0.0, 0.2, 0.5, 0.8, 1.0])
    per_stratum: int = Field(30, ge=1)
    seed: int = 7


class CreditSettings(Section):
    """Points and thresholds of the creator and merchant credit score (docs/credit.md)."""

    enabled: bool = True
    base_points: float = 700.0
    lookback_days: int = Field(90, ge=1)
    violation_points: dict[str, float] = Field(default_factory=dict)
    default_violation_points: float = 120.0
    cleared_review_points: float = 15.0
    cleared_review_cap: float = 45.0
    report_points: float = 3.0
    report_cap: float = 60.0
    quality_points: float = 300.0
    quality_cap: float = 90.0
    refund_points: float = 500.0
    cancel_points: float = 300.0
    commerce_cap: float = 150.0
    min_orders: int = Field(5, ge=1)
    tenure_points: float = 60.0
    tenure_full_days: int = Field(365, ge=1)
    volume_points: float = 40.0
    volume_full_activity: int = Field(100, ge=1)
    min_volume: int = Field(3, ge=0)
    tiers: dict[str, float] = Field(default_factory=lambda: {
        "excellent": 850.0, "good": 700.0, "fair": 550.0, "at_risk": 400.0})


class EnforcementJumpSettings(Section):
    """When an enforcing strategy's daily hits jump enough to be logged as a governance event."""

    factor: float = Field(3.0, gt=1)
    min_hits: int = Field(50, ge=1)
    trailing_days: int = Field(7, ge=1)


class StrategiesSettings(Section):
    """Settings of strategies, lists, backtests, review sampling and the credit score."""

    library: str | None = None
    allowed_functions: list[str] = Field(default_factory=list)
    lists: dict[str, ListSettings] = Field(default_factory=dict)
    backtest: BacktestSettings = Field(default_factory=BacktestSettings)
    sampling: SamplingSettings = Field(default_factory=SamplingSettings)
    credit: CreditSettings = Field(default_factory=CreditSettings)
    enforcement_jump: EnforcementJumpSettings = Field(default_factory=EnforcementJumpSettings)


class StrategyDefinition(Section):
    """One strategy as written in the library (conf/strategies/*.yaml); passed as it is to models/strategies."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    owner: str
    description: str
    target: Literal["account", "content"]
    condition: str
    action: Literal["label", "limit", "review", "ban"]
    severity: int = Field(ge=1, le=5)
    version: int = Field(ge=1)
    status: Literal["shadow", "active", "retired"]
    sweep_column: str | None = None
    tags: tuple[str, ...] = ()
    source: str = ""
