"""Settings of the ecosystem simulator (conf/base/simulator.yaml)."""

import datetime as dt

from pydantic import Field

from creator_governance.settings._base import Section


class SimulatorSettings(Section):
    """Size, time span and seed of a simulated landing zone."""

    accounts: int = Field(5000, ge=10)
    days: int = Field(35, ge=1)
    start: dt.date = dt.date(2026, 1, 1)
    seed: int = 7
