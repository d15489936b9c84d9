"""creator_governance.models.experiments."""
