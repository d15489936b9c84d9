"""Settings of governance metrics (conf/base/metrics.yaml): the metric definitions, dimensions, PSI and EHI."""

from typing import Literal

from pydantic import Field, model_validator

from creator_governance.settings._base import Section

MetricKind = Literal["count", "ratio", "psi", "index"]


class MetricDefinition(Section):
    """One metric: rows as SQL over the tables, numerator/denominator as SQL expressions summed over them."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    kind: MetricKind = "ratio"
    source_tables: tuple[str, ...] = ()
    rows: str = ""
    numerator: str = "1"
    denominator: str | None = None
    direction: Literal["up", "down"] = "down"
    dimensions: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _shape(self):
        if self.kind == "ratio" and not self.denominator:
            raise ValueError(f"metric {self.name}: a ratio needs a denominator")
        if self.kind in ("count", "ratio") and not self.rows.strip():
            raise ValueError(f"metric {self.name}: a {self.kind} needs `rows` (SQL)")
        return self


class PsiSettings(Section):
    """Score distribution drift (PSI) of creator_scores against a reference day."""

    reference_lag_days: int = Field(7, ge=1)
    bins: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)
    epsilon: float = Field(1e-4, gt=0.0)


class EhiComponent(Section):
    """One component of the Ecosystem Health Index: a ratio metric scored 0 at `bad` and 100 at `good`."""

    metric: str
    weight: float = Field(gt=0.0)
    bad: float
    good: float

    @model_validator(mode="after")
    def _span(self):
        if self.bad == self.good:
            raise ValueError(f"ehi component {self.metric}: bad and good must differ")
        return self


class EhiSettings(Section):
    """The Ecosystem Health Index: weighted mean of normalized component scores."""

    name: str = "ecosystem_health_index"
    components: tuple[EhiComponent, ...] = ()


class MetricsSettings(Section):
    """Parameters of `govern metrics`."""

    age_buckets: tuple[int, ...] = (7, 30, 90, 365)
    unknown_value: str = "unknown"
    definitions: tuple[MetricDefinition, ...] = ()
    psi: PsiSettings = Field(default_factory=PsiSettings)
    ehi: EhiSettings = Field(default_factory=EhiSettings)

    @model_validator(mode="after")
    def _unique_names(self):
        names = [d.name for d in self.definitions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"metric names must be unique: {dupes}")
        unknown = sorted({c.metric for c in self.ehi.components} - set(names))
        if unknown:
            raise ValueError(f"ehi components name unknown metrics: {unknown}")
        return self
