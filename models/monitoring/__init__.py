"""models.monitoring."""
