"""Settings of the feature jobs (conf/base/features.yaml)."""

from typing import Literal

from pydantic import Field, model_validator

from creator_governance.settings._base import Section

Action = Literal["view", "like", "comment", "share"]


class FeaturesSettings(Section):
    """Parameters of `govern features`: thresholds, graph and lockstep detection.

    Window lengths (1, 7 and 28 days, and 7 vs the previous 7 for trends) are part of the column names and of
    the data contract, so they are not configurable.
    """

    night_start_hour: int = Field(0, ge=0, le=23)
    night_end_hour: int = Field(6, ge=0, le=24)
    low_quality_threshold: float = Field(0.3, ge=0.0, le=1.0)
    new_account_days: int = Field(7, ge=1)
    suspicious_daily_actions: int = Field(200, ge=1)
    hub_cap: int = Field(50, ge=2)
    graph_max_iterations: int = Field(30, ge=1)
    lockstep_window_minutes: int = Field(2, ge=1)
    lockstep_min_shared_items: int = Field(3, ge=1)
    lockstep_min_group_size: int = Field(3, ge=2)
    lockstep_lookback_days: int = Field(7, ge=1, le=28)
    lockstep_actions: tuple[Action, ...] = ("like", "comment", "share")
    lockstep_max_cell_accounts: int = Field(200, ge=2)
    backfill_chunk_days: int = Field(31, ge=1)

    @model_validator(mode="after")
    def _night_is_a_span(self):
        if self.night_start_hour == self.night_end_hour:
            raise ValueError("night_start_hour and night_end_hour must differ")
        return self
