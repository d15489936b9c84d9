"""models.strategies."""
