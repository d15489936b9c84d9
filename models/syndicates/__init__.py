"""creator_governance.models.syndicates."""
