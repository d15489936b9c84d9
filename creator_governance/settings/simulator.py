"""Settings of the ecosystem simulator (conf/base/simulator.yaml); docs/simulator.md explains every knob."""

import datetime as dt
from typing import Literal

from pydantic import Field

from creator_governance.settings._base import Section

FileFormat = Literal["parquet", "jsonl", "csv"]


class NormalSettings(Section):
    """Honest behaviour: roles, activity, households, organic duplicates, honest commerce, seasonality."""

    creator_share: float = Field(0.12, ge=0.0, le=1.0)
    seller_share: float = Field(0.02, ge=0.0, le=1.0)
    new_account_share: float = Field(0.10, ge=0.0, le=1.0)
    history_days: int = Field(365, ge=1)
    household_share: float = Field(0.08, ge=0.0, le=1.0)
    household_size: int = Field(3, ge=2)
    second_device_share: float = Field(0.15, ge=0.0, le=1.0)
    engagements_per_active_day: float = Field(4.0, ge=0.0)
    creator_rate_top: float = Field(3.0, ge=0.0)
    creator_rate_floor: float = Field(0.15, ge=0.0)
    seller_listing_rate: float = Field(0.5, ge=0.0)
    seller_order_rate: float = Field(1.2, ge=0.0)
    organic_duplicate_share: float = Field(0.01, ge=0.0, le=1.0)
    aigc_share: float = Field(0.05, ge=0.0, le=1.0)
    refund_rate: float = Field(0.05, ge=0.0, le=1.0)
    cancel_rate: float = Field(0.03, ge=0.0, le=1.0)
    weekly: tuple[float, ...] = Field((0.95, 0.93, 0.95, 1.0, 1.08, 1.2, 1.15), min_length=7, max_length=7)


class SpamSettings(Section):
    """Automated spam: bursty posting of low-quality, near-duplicate, mostly AIGC content."""

    share: float = Field(0.01, ge=0.0, le=1.0)
    botnet_size: int = Field(10, ge=1)
    burst_day_prob: float = Field(0.3, ge=0.0, le=1.0)
    posts_min: int = Field(15, ge=1, le=99)
    posts_max: int = Field(50, ge=1, le=99)
    burst_window_minutes: int = Field(30, ge=1, le=600)
    quality_max: float = Field(0.3, ge=0.0, le=1.0)
    aigc_share: float = Field(0.8, ge=0.0, le=1.0)


class MatrixSettings(Section):
    """Matrix accounts: groups on shared devices/IPs posting the same content at the same time."""

    share: float = Field(0.01, ge=0.0, le=1.0)
    group_size: int = Field(8, ge=2)
    devices_per_group: int = Field(2, ge=1)
    ips_per_group: int = Field(2, ge=1)
    campaign_day_prob: float = Field(0.4, ge=0.0, le=1.0)
    items_max: int = Field(3, ge=1, le=20)
    window_minutes: int = Field(10, ge=1, le=600)
    participation: float = Field(0.9, ge=0.0, le=1.0)


class FarmSettings(Section):
    """Engagement farming: rings that engage the same items of their boosted creators within minutes."""

    share: float = Field(0.01, ge=0.0, le=1.0)
    ring_size: int = Field(15, ge=2)
    boosted_per_ring: int = Field(2, ge=1)
    strike_day_prob: float = Field(0.7, ge=0.0, le=1.0)
    strikes_max: int = Field(5, ge=1, le=50)
    window_minutes: int = Field(3, ge=1, le=120)
    participation: float = Field(0.85, ge=0.0, le=1.0)


class FakeOrderSettings(Section):
    """Fake orders: sellers whose orders come from a small buyer ring, with heavy refunds and cancels."""

    share: float = Field(0.004, ge=0.0, le=1.0)
    buyers_per_seller: int = Field(5, ge=1)
    order_day_prob: float = Field(0.8, ge=0.0, le=1.0)
    orders_min: int = Field(2, ge=1, le=99)
    orders_max: int = Field(7, ge=1, le=99)
    refund_rate: float = Field(0.45, ge=0.0, le=1.0)
    cancel_rate: float = Field(0.2, ge=0.0, le=1.0)


class AbuseSettings(Section):
    """Planted abuse: each pattern's share of accounts and signature; camouflage across patterns."""

    camouflage_share: float = Field(0.3, ge=0.0, le=1.0)
    spam: SpamSettings = Field(default_factory=SpamSettings)
    matrix: MatrixSettings = Field(default_factory=MatrixSettings)
    farm: FarmSettings = Field(default_factory=FarmSettings)
    fake_orders: FakeOrderSettings = Field(default_factory=FakeOrderSettings)


class RegistrationSpike(Section):
    enabled: bool = True
    day: int = Field(10, ge=0)
    country: str = Field("BR", pattern=r"^[A-Z]{2}$")
    category: str | None = "gaming"
    multiplier: float = Field(6.0, ge=1.0)


class QualitySupplyDrop(Section):
    enabled: bool = True
    day: int = Field(17, ge=0)
    duration_days: int = Field(3, ge=1)
    category: str = "beauty"
    min_quality: float = Field(0.65, ge=0.0, le=1.0)
    multiplier: float = Field(0.2, ge=0.0, le=1.0)


class EnforcementIntervention(Section):
    enabled: bool = True
    day: int = Field(24, ge=0)
    policy: str = "integrity_v2"
    review_multiplier: float = Field(2.0, ge=1.0)
    auto_multiplier: float = Field(3.0, ge=1.0)


class HolidayLull(Section):
    enabled: bool = True
    day: int = Field(28, ge=0)
    duration_days: int = Field(2, ge=1)
    multiplier: float = Field(0.6, ge=0.0, le=1.0)


class IncidentSettings(Section):
    """Planted incidents; `day` is an offset from `start`; an incident beyond the last day is skipped."""

    registration_spike: RegistrationSpike = Field(default_factory=RegistrationSpike)
    quality_supply_drop: QualitySupplyDrop = Field(default_factory=QualitySupplyDrop)
    enforcement_intervention: EnforcementIntervention = Field(default_factory=EnforcementIntervention)
    holiday_lull: HolidayLull = Field(default_factory=HolidayLull)


class ReportRates(Section):
    """Daily probability that an active account of each kind is reported."""

    normal: float = Field(0.0004, ge=0.0, le=1.0)
    spam: float = Field(0.06, ge=0.0, le=1.0)
    matrix: float = Field(0.02, ge=0.0, le=1.0)
    farm_ring: float = Field(0.01, ge=0.0, le=1.0)
    boosted_creator: float = Field(0.015, ge=0.0, le=1.0)
    fake_seller: float = Field(0.04, ge=0.0, le=1.0)
    fake_buyer: float = Field(0.005, ge=0.0, le=1.0)


class LabelSettings(Section):
    """Reports and moderation decisions: partial, mostly report-driven, noisy labels."""

    report_rates: ReportRates = Field(default_factory=ReportRates)
    review_after_report: float = Field(0.5, ge=0.0, le=1.0)
    proactive_review_share: float = Field(0.002, ge=0.0, le=1.0)
    accuracy_on_bad: float = Field(0.9, ge=0.0, le=1.0)
    accuracy_on_good: float = Field(0.92, ge=0.0, le=1.0)
    review_delay_hours_max: int = Field(48, ge=1)
    auto_catch_rate: float = Field(0.1, ge=0.0, le=1.0)


def _default_formats() -> dict[str, tuple[FileFormat, ...]]:
    return {
        "accounts": ("parquet", "csv"),
        "sessions": ("parquet", "jsonl", "csv"),
        "content": ("jsonl", "parquet"),
        "engagements": ("parquet", "jsonl", "csv"),
        "orders": ("csv", "jsonl"),
        "reports": ("jsonl", "csv"),
        "decisions": ("parquet", "jsonl"),
        "assignments": ("parquet", "jsonl"),
    }


class DeliverySettings(Section):
    """How files land: format per entity-day, re-delivered rows, partition sizes."""

    formats: dict[str, tuple[FileFormat, ...]] = Field(default_factory=_default_formats)
    duplicate_share: float = Field(0.002, ge=0.0, le=1.0)
    account_update_share: float = Field(0.01, ge=0.0, le=1.0)
    rows_per_partition: int = Field(3_000_000, ge=1000)


class ExperimentSettings(Section):
    """A planted A/B experiment (issue #10): randomised on accounts, with a known effect on one metric."""

    enabled: bool = True
    name: str = Field("review_nudge", pattern=r"^[A-Za-z0-9_.-]+$")
    day: int = Field(14, ge=0)
    enrol_share: float = Field(0.5, ge=0.0, le=1.0)
    treatment_share: float = Field(0.5, ge=0.0, le=1.0)
    metric: Literal["reports"] = "reports"
    relative_effect: float = Field(-0.3, gt=-1.0)


class SimulatorSettings(Section):
    """Size, time span and seed of a simulated landing zone, and every behaviour knob."""

    accounts: int = Field(5000, ge=10)
    days: int = Field(35, ge=1, le=999)
    start: dt.date = dt.date(2026, 1, 1)
    seed: int = 7
    bad_row_share: float = Field(0.0, ge=0.0, le=0.5)
    normal: NormalSettings = Field(default_factory=NormalSettings)
    abuse: AbuseSettings = Field(default_factory=AbuseSettings)
    incidents: IncidentSettings = Field(default_factory=IncidentSettings)
    labels: LabelSettings = Field(default_factory=LabelSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    experiment: ExperimentSettings = Field(default_factory=ExperimentSettings)
