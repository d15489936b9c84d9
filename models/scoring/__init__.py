"""models.scoring."""
