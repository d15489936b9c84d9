"""models.syndicates."""
