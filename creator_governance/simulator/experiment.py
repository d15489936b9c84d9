"""The planted A/B experiment (issue #10): accounts randomised into control and treatment on a day, and a
known effect of the treatment on one metric, so `govern experiment` can be checked against the truth.

Enrolment and arm are hashes of the account (no lookups): an account registered before the experiment's day
is enrolled with probability `enrol_share`, and treated with probability `treatment_share`. From that day on a
treated account's daily report probability is multiplied by (1 + relative_effect) inside the report draw
(labels.build_reports), so the decisions derived from reports stay consistent with the effect.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from creator_governance.settings import SimulatorSettings
from creator_governance.simulator import rng
from creator_governance.simulator.behaviour import contract_select
from creator_governance.simulator.world import World

CONTROL, TREATMENT = "control", "treatment"


def is_planted(s: SimulatorSettings) -> bool:
    """The experiment is on and its day falls within the simulated window."""
    return s.experiment.enabled and 0 <= s.experiment.day < s.days


def is_enrolled(w: World, v: Column) -> Column:
    """Enrolled: registered before the experiment's day and drawn into it."""
    x = w.s.experiment
    return (w.pop.created_day(v) < F.lit(x.day)) & (w.u("exp_enrol", v) < F.lit(x.enrol_share))


def is_treated(w: World, v: Column) -> Column:
    """In the treatment arm (meaningful for enrolled accounts only)."""
    return w.u("exp_arm", v) < F.lit(w.s.experiment.treatment_share)


def report_multiplier(w: World, v: Column, day: Column) -> Column:
    """The planted effect on the report probability: 1 + relative_effect for treated accounts from the day on."""
    if not is_planted(w.s) or w.s.experiment.metric != "reports":
        return F.lit(1.0)
    x = w.s.experiment
    affected = (day >= F.lit(x.day)) & is_enrolled(w, v) & is_treated(w, v)
    return F.when(affected, F.lit(1.0 + x.relative_effect)).otherwise(F.lit(1.0))


def build_assignments(w: World) -> DataFrame:
    """Landing rows of `assignments`: unit_id (= account_id), experiment, variant, assigned_at, delivered on
    the experiment's day (call only when `is_planted`)."""
    v, x = F.col("v"), w.s.experiment
    units = w.accounts_range()
    sec = rng.below(w.u("exp_assigned_sec", v), 86400)
    return contract_select(units.filter(is_enrolled(w, v)).select(
        w.pop.account_id(v).alias("unit_id"),
        F.lit(x.name).alias("experiment"),
        F.when(is_treated(w, v), F.lit(TREATMENT)).otherwise(F.lit(CONTROL)).alias("variant"),
        w.pop.ts(F.lit(x.day), sec).alias("assigned_at"),
        F.lit(x.day).cast("int").alias("day"),
    ), "assignments")


def arm_sizes(assignments: DataFrame) -> tuple[int, int]:
    """(enrolled, treated) of the planted assignments (one tiny aggregate)."""
    row = assignments.agg(F.count(F.lit(1)).alias("enrolled"),
                          F.sum((F.col("variant") == F.lit(TREATMENT)).cast("long")).alias("treated")).first()
    return int(row["enrolled"] or 0), int(row["treated"] or 0)


def experiment_truth(s: SimulatorSettings, enrolled: int, treated: int) -> list[dict]:
    """The truth entry of the planted experiment (a list: empty when it is not planted)."""
    if not is_planted(s):
        return []
    x = s.experiment
    day = (s.start + dt.timedelta(days=x.day)).isoformat()
    end = (s.start + dt.timedelta(days=s.days - 1)).isoformat()
    return [{"kind": "experiment", "name": x.name, "day": day, "end_day": end, "metric": x.metric,
             "relative_effect": x.relative_effect, "dimension": "experiment", "dimension_value": x.name,
             "magnitude": 1.0 + x.relative_effect, "enrol_share": x.enrol_share,
             "treatment_share": x.treatment_share, "enrolled": enrolled, "treated": treated,
             "control": enrolled - treated, "variants": [CONTROL, TREATMENT]}]
