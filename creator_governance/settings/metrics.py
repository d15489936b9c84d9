"""Settings of governance metrics (conf/base/metrics.yaml)."""

from creator_governance.settings._base import Section


class MetricsSettings(Section):
    """Settings of governance metrics."""
