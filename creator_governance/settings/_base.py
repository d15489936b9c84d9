"""Base class of every config section: frozen, and unknown keys are errors."""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A config section; a typo'd key fails validation instead of being ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)
