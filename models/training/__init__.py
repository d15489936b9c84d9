"""creator_governance.models.training."""
