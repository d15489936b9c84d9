"""Day effects: weekly seasonality and the planted incidents, as column expressions of a day index.

Incidents whose day falls outside the simulated window are skipped (and absent from the truth).
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column
from pyspark.sql import functions as F

from creator_governance.settings import SimulatorSettings


def _in_window(day: int, duration: int, days: int) -> bool:
    return 0 <= day < days and duration >= 1


class DayEffects:
    """Multipliers and switches that depend on the day (and for the supply drop, the creator)."""

    def __init__(self, s: SimulatorSettings):
        self.s = s
        inc = s.incidents
        self.spike_on = inc.registration_spike.enabled and _in_window(inc.registration_spike.day, 1, s.days)
        self.drop_on = inc.quality_supply_drop.enabled and _in_window(inc.quality_supply_drop.day, 1, s.days)
        self.enforce_on = inc.enforcement_intervention.enabled and \
            _in_window(inc.enforcement_intervention.day, 1, s.days)
        self.lull_on = inc.holiday_lull.enabled and _in_window(inc.holiday_lull.day, 1, s.days)
        self.start_weekday = s.start.weekday()  # Monday = 0, as `normal.weekly`

    def weekly(self, day: Column) -> Column:
        weights = F.array(*[F.lit(float(w)) for w in self.s.normal.weekly])
        return F.element_at(weights, (F.pmod(day + F.lit(self.start_weekday), F.lit(7)) + 1).cast("int"))

    def is_lull(self, day: Column) -> Column:
        lull = self.s.incidents.holiday_lull
        if not self.lull_on:
            return F.lit(False)
        return (day >= F.lit(lull.day)) & (day < F.lit(lull.day + lull.duration_days))

    def activity(self, day: Column) -> Column:
        """Everyone's organic activity (sessions, posts, engagements, orders): week shape and holiday lull."""
        lull = F.when(self.is_lull(day), F.lit(self.s.incidents.holiday_lull.multiplier)).otherwise(F.lit(1.0))
        return self.weekly(day) * lull

    def supply(self, day: Column, category: Column, quality_mean: Column) -> Column:
        """The quality-supply drop: high-quality creators of one category post less for a few days."""
        drop = self.s.incidents.quality_supply_drop
        if not self.drop_on:
            return F.lit(1.0)
        hit = (day >= F.lit(drop.day)) & (day < F.lit(drop.day + drop.duration_days)) \
            & (category == F.lit(drop.category)) & (quality_mean >= F.lit(drop.min_quality))
        return F.when(hit, F.lit(drop.multiplier)).otherwise(F.lit(1.0))

    def enforced(self, day: Column) -> Column:
        """True from the enforcement intervention's day on."""
        if not self.enforce_on:
            return F.lit(False)
        return day >= F.lit(self.s.incidents.enforcement_intervention.day)

    def review_multiplier(self, day: Column) -> Column:
        m = self.s.incidents.enforcement_intervention.review_multiplier
        return F.when(self.enforced(day), F.lit(m)).otherwise(F.lit(1.0))

    def auto_multiplier(self, day: Column) -> Column:
        m = self.s.incidents.enforcement_intervention.auto_multiplier
        return F.when(self.enforced(day), F.lit(m)).otherwise(F.lit(1.0))


def planted_incidents(s: SimulatorSettings) -> list[dict]:
    """The incidents of the truth file: day, end_day, kind, dimension, dimension_value (the slice it is planted
    in), segment (the planted segment as a root cause, `d1=v1&d2=v2`; `all` for a global one), magnitude."""
    inc, fx = s.incidents, DayEffects(s)

    def day(offset: int) -> str:
        return (s.start + dt.timedelta(days=offset)).isoformat()

    def end(offset: int, duration: int) -> str:
        return day(min(offset + duration, s.days) - 1)

    out = []
    if fx.spike_on:
        r = inc.registration_spike
        segment = f"country={r.country}" + (f"&category={r.category}" if r.category else "")
        out.append({"day": day(r.day), "end_day": day(r.day), "kind": "registration_spike", "dimension": "country",
                    "dimension_value": r.country, "segment": segment, "magnitude": r.multiplier})
    if fx.drop_on:
        q = inc.quality_supply_drop
        out.append({"day": day(q.day), "end_day": end(q.day, q.duration_days), "kind": "quality_supply_drop",
                    "dimension": "category", "dimension_value": q.category, "segment": f"category={q.category}",
                    "magnitude": q.multiplier,
                    "min_quality": q.min_quality})
    if fx.enforce_on:
        e = inc.enforcement_intervention
        out.append({"day": day(e.day), "end_day": day(s.days - 1), "kind": "enforcement_intervention",
                    "dimension": "policy", "dimension_value": e.policy, "segment": f"policy={e.policy}",
                    "magnitude": e.review_multiplier,
                    "auto_multiplier": e.auto_multiplier})
    if fx.lull_on:
        h = inc.holiday_lull
        out.append({"day": day(h.day), "end_day": end(h.day, h.duration_days), "kind": "holiday_lull",
                    "dimension": "all", "dimension_value": "all", "segment": "all",
                    "magnitude": h.multiplier})
    return out

