"""models.metrics."""
