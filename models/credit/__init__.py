"""creator_governance.models.credit."""
