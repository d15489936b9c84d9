"""creator_governance.models.strategies."""
