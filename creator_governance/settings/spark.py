"""Settings of the Spark session (conf/base/spark.yaml)."""

from pydantic import Field

from creator_governance.settings._base import Section


class SparkSettings(Section):
    """How `creator_governance.runtime.get_spark` builds a session when none is active."""

    master: str = "local[*]"
    app_name: str = "creator-governance"
    shuffle_partitions: int = Field(8, ge=1)
    driver_memory: str = "4g"
    log_level: str = "ERROR"
    conf: dict[str, str] = Field(default_factory=dict)
