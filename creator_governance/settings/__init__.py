"""Typed, frozen configuration: one section per YAML file of conf/base/."""

from pydantic import Field

from creator_governance.settings._base import Section
from creator_governance.settings.alerts import AlertsSettings
from creator_governance.settings.experiments import ExperimentsSettings
from creator_governance.settings.features import FeaturesSettings
from creator_governance.settings.ingest import IngestSettings
from creator_governance.settings.metrics import MetricsSettings
from creator_governance.settings.model import ModelSettings
from creator_governance.settings.simulator import SimulatorSettings
from creator_governance.settings.spark import SparkSettings
from creator_governance.settings.strategies import StrategiesSettings
from creator_governance.settings.tables import TablesSettings


class Config(Section):
    """The whole configuration; each field is the file conf/<layer>/<field>.yaml."""

    spark: SparkSettings = Field(default_factory=SparkSettings)
    tables: TablesSettings = Field(default_factory=TablesSettings)
    simulator: SimulatorSettings = Field(default_factory=SimulatorSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    features: FeaturesSettings = Field(default_factory=FeaturesSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    strategies: StrategiesSettings = Field(default_factory=StrategiesSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    experiments: ExperimentsSettings = Field(default_factory=ExperimentsSettings)


__all__ = [
    "AlertsSettings", "Config", "ExperimentsSettings", "FeaturesSettings", "IngestSettings", "MetricsSettings", "ModelSettings", "Section",
    "SimulatorSettings", "SparkSettings", "StrategiesSettings", "TablesSettings",
]
