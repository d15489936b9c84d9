"""Settings of the lakehouse and the Delta table layer (conf/base/tables.yaml)."""

from typing import Literal

from pydantic import Field

from creator_governance.settings._base import Section

VacuumOn = Literal["never", "daily", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class TablesSettings(Section):
    """Where tables live and which Delta engine writes them."""

    lakehouse: str = "lakehouse"
    engine: Literal["auto", "delta-spark", "delta-rs"] = "auto"
    commit_retries: int = Field(5, ge=0)
    vacuum_retention_hours: int = Field(168, ge=0)
    vacuum_on: VacuumOn = "sunday"
    compact_target_file_mb: int = Field(128, ge=1)
    compact_min_files: int = Field(4, ge=2)
    lock_timeout_s: float = Field(300, ge=0)
