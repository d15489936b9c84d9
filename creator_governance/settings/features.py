"""Settings of the feature jobs (conf/base/features.yaml)."""

from pydantic import Field

from creator_governance.settings._base import Section


class FeaturesSettings(Section):
    """Graph and lockstep parameters of the feature jobs."""

    hub_cap: int = Field(50, ge=2)
