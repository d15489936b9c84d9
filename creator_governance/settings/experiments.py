"""Settings of `govern experiment` (conf/base/experiments.yaml): methods, CUPED, SRM, guardrails, DiD."""

from typing import Literal

from pydantic import Field, model_validator

from creator_governance.settings._base import Section

# The per-unit metrics `govern experiment` knows how to build (models/experiments/units.py).
KNOWN_METRICS = ("violations", "reports", "content_quality", "gmv", "retention", "false_positives")


class ExperimentMetric(Section):
    """One analysed metric: its direction of good and, for a guardrail, the tolerated relative degradation."""

    name: Literal["violations", "reports", "content_quality", "gmv", "retention", "false_positives"]
    direction: Literal["up", "down"] = "down"
    guardrail: bool = False
    max_degradation: float = Field(0.02, ge=0.0)


class BootstrapSettings(Section):
    """The bucket bootstrap (method `bootstrap`)."""

    resamples: int = Field(2000, ge=100)
    buckets: int = Field(500, ge=20)
    seed: int = 7


class SrmSettings(Section):
    """Sample-ratio-mismatch check of the assignment counts."""

    threshold: float = Field(0.001, gt=0.0, lt=1.0)
    expected_split: dict[str, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shares(self):
        for experiment, split in self.expected_split.items():
            if not split or any(v <= 0 for v in split.values()):
                raise ValueError(f"srm.expected_split.{experiment}: shares must be positive")
        return self


class DidSettings(Section):
    """Difference-in-differences for launches without randomisation."""

    pretrend_alpha: float = Field(0.05, gt=0.0, lt=1.0)
    max_controls: int = Field(0, ge=0)
    min_slice_accounts: int = Field(20, ge=1)
    bootstrap_min_slices: int = Field(5, ge=2)
    resamples: int = Field(2000, ge=100)
    seed: int = 7


class ExperimentsSettings(Section):
    """Parameters of `govern experiment`."""

    control_variant: str = "control"
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    method: Literal["welch", "bootstrap"] = "welch"
    correction: Literal["holm", "bh", "none"] = "holm"
    pre_days: int = Field(28, ge=0)
    cuped: bool = True
    retention_days: int = Field(7, ge=1)
    fp_days_before: int = Field(27, ge=0)
    fp_days_after: int = Field(7, ge=0)
    metrics: tuple[ExperimentMetric, ...] = (
        ExperimentMetric(name="violations", direction="down", max_degradation=0.0),
        ExperimentMetric(name="reports", direction="down", max_degradation=0.0),
        ExperimentMetric(name="content_quality", direction="up", guardrail=True, max_degradation=0.02),
        ExperimentMetric(name="gmv", direction="up", guardrail=True, max_degradation=0.02),
        ExperimentMetric(name="retention", direction="up", guardrail=True, max_degradation=0.01),
        ExperimentMetric(name="false_positives", direction="down", guardrail=True, max_degradation=0.05),
    )
    bootstrap: BootstrapSettings = Field(default_factory=BootstrapSettings)
    srm: SrmSettings = Field(default_factory=SrmSettings)
    did: DidSettings = Field(default_factory=DidSettings)

    @model_validator(mode="after")
    def _unique(self):
        names = [m.name for m in self.metrics]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"experiments.metrics: duplicate names {dupes}")
        return self
