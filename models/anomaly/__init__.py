"""models.anomaly."""
