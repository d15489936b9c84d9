"""Base class of every config section: frozen, and unknown keys are errors."""

from types import SimpleNamespace

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A config section; a typo'd key fails validation instead of being ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def plain(self) -> SimpleNamespace:
        """The section's values as plain Python data (nested sections as namespaces too): what a function run on
        executors may capture, since a worker Python has no pydantic nor this project's settings."""
        return _plain(self)


def _plain(value):
    if isinstance(value, BaseModel):
        return SimpleNamespace(**{name: _plain(getattr(value, name)) for name in type(value).model_fields})
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
