"""Settings of ingestion from the landing zone (conf/base/ingest.yaml)."""

from creator_governance.settings._base import Section


class IngestSettings(Section):
    """Where raw files come from."""

    landing: str | None = None
