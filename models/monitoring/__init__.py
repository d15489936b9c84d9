"""creator_governance.models.monitoring."""
