"""Settings of the lakehouse and the Delta table layer (conf/base/tables.yaml)."""

import re
from typing import Literal

from pydantic import Field, model_validator

from creator_governance.paths import VOLUME, default_files, files_folder, is_object_store
from creator_governance.settings._base import Section

VacuumOn = Literal["never", "daily", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TablesSettings(Section):
    """Where tables live, which Delta engine writes them, and the catalog names they are registered under."""

    lakehouse: str = "lakehouse"
    engine: Literal["auto", "delta-spark", "delta-rs"] = "auto"
    catalog: str | None = None
    schema_name: str | None = Field(None, alias="schema")
    # Models, reports and dashboard pages are files, written with the filesystem API: a local, mounted or Unity
    # Catalog volume folder. Default: the lakehouse when it is a folder; /Volumes/<catalog>/<schema>/files when the
    # lakehouse is an object store and catalog names are set; otherwise it must be given.
    files: str | None = None
    commit_retries: int = Field(5, ge=0)
    vacuum_retention_hours: int = Field(168, ge=0)
    vacuum_on: VacuumOn = "sunday"
    compact_target_file_mb: int = Field(128, ge=1)
    compact_min_files: int = Field(4, ge=2)
    lock_timeout_s: float = Field(300, ge=0)

    @model_validator(mode="after")
    def _names(self) -> "TablesSettings":
        for key, value in (("catalog", self.catalog), ("schema", self.schema_name)):
            if value is not None and not IDENTIFIER.match(value):
                raise ValueError(f"tables.{key}: '{value}' is not a plain identifier (letters, digits and _)")
        if self.catalog and not self.schema_name:
            raise ValueError("tables.catalog needs tables.schema: tables are registered as catalog.schema.name")
        if self.schema_name and VOLUME.match(self.lakehouse):
            raise ValueError(
                f"tables.lakehouse is a Unity Catalog volume ({self.lakehouse}): Delta tables in a volume cannot be "
                "registered as tables; with tables.catalog/tables.schema set, point tables.lakehouse (or "
                "--lakehouse) at an external location, e.g. s3://bucket/governance or abfss://…, or leave the names "
                "unset")
        if self.files is not None and is_object_store(self.files):
            raise ValueError(f"tables.files: '{self.files}' is an object store; model files, reports and dashboard "
                             "pages need a folder the filesystem API reaches (local, mounted, or /Volumes/…)")
        return self

    def folder(self, name: str) -> str:
        """`<files_root>/<name>` (e.g. `_dashboard`); an error naming tables.files when there is no folder."""
        return files_folder(self.files_root, self.lakehouse, name)

    @property
    def files_root(self) -> str | None:
        """The folder of the files beside the tables (tables.files, or its default; None when there is none)."""
        if self.files:
            return self.files.removeprefix("file://")
        return default_files(self.lakehouse, self.catalog, self.schema_name)

