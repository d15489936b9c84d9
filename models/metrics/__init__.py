"""creator_governance.models.metrics."""
