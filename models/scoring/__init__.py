"""creator_governance.models.scoring."""
