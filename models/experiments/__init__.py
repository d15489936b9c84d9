"""models.experiments."""
