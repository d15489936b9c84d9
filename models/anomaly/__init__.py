"""creator_governance.models.anomaly."""
