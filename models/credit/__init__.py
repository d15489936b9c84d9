"""models.credit."""
