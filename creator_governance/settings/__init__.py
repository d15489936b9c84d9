"""Typed, frozen configuration: one section per YAML file of conf/base/."""

from pydantic import Field

from creator_governance.settings._base import Section
from creator_governance.settings.features import FeaturesSettings
from creator_governance.settings.ingest import IngestSettings
from creator_governance.settings.simulator import SimulatorSettings
from creator_governance.settings.spark import SparkSettings
from creator_governance.settings.tables import TablesSettings


class Config(Section):
    """The whole configuration; each field is the file conf/<layer>/<field>.yaml."""

    spark: SparkSettings = Field(default_factory=SparkSettings)
    tables: TablesSettings = Field(default_factory=TablesSettings)
    simulator: SimulatorSettings = Field(default_factory=SimulatorSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    features: FeaturesSettings = Field(default_factory=FeaturesSettings)


__all__ = ["Config", "FeaturesSettings", "IngestSettings", "Section", "SimulatorSettings", "SparkSettings", "TablesSettings"]
