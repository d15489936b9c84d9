"""Settings of ingestion from the landing zone (conf/base/ingest.yaml)."""

from pydantic import Field

from creator_governance.settings._base import Section


class IngestSettings(Section):
    """Where raw files come from and how lenient parsing is."""

    landing: str | None = None
    late_after_days: int = Field(default=2, ge=0)
    true_values: tuple[str, ...] = ("true", "1")
    false_values: tuple[str, ...] = ("false", "0")
    whole_file_max_mb: int = Field(default=64, ge=0)
    driver_listing_max_paths: int = Field(default=100_000, ge=1)
