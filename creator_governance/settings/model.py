"""Settings of the violation model, scoring, anomaly detection and syndicates (conf/base/model.yaml)."""

from creator_governance.settings._base import Section


class ModelSettings(Section):
    """Settings of the violation model, scoring, anomaly detection and syndicates."""
