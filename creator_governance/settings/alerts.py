"""Settings of metric monitoring, alerts and root cause (conf/base/alerts.yaml)."""

from creator_governance.settings._base import Section


class AlertsSettings(Section):
    """Settings of metric monitoring, alerts and root cause."""
