"""The simulation as one call: build every entity from the world, write the landing zone and its truth."""

from __future__ import annotations

import os
import time
from functools import reduce

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from creator_governance.settings import SimulatorSettings
from creator_governance.simulator import abuse, behaviour, experiment, labels, truth
from creator_governance.simulator.incidents import planted_incidents
from creator_governance.simulator.world import World
from creator_governance.simulator.writer import write_entity

ENTITY_ORDER = ("accounts", "sessions", "content", "engagements", "orders", "reports", "decisions", "assignments")


def truth_location(out: str) -> str:
    """The ground-truth folder beside a landing zone: `<out>_truth`."""
    return out.rstrip("/") + "_truth"


def _location(out: str) -> str:
    return out if "://" in out or out.startswith("file:") else os.path.abspath(out)


def build_frames(w: World) -> tuple[dict[str, DataFrame], DataFrame]:
    """Every entity's rows (contract columns + delivery `day`), and the persisted reports they share."""
    spam_content, spam_sessions = abuse.build_spam(w)
    matrix_content, matrix_sessions = abuse.build_matrix(w)
    farm_engagements, farm_sessions = abuse.build_farm(w)
    fake_orders, buyer_sessions = abuse.build_fake_orders(w)
    reports = labels.build_reports(w).persist(StorageLevel.MEMORY_AND_DISK)
    union = lambda *dfs: reduce(DataFrame.unionAll, dfs)  # noqa: E731
    frames = {
        "accounts": behaviour.build_accounts(w),
        "sessions": union(behaviour.build_normal_sessions(w), spam_sessions, matrix_sessions, farm_sessions,
                          buyer_sessions),
        "content": union(behaviour.build_organic_content(w), spam_content, matrix_content),
        "engagements": union(behaviour.build_normal_engagements(w), farm_engagements),
        "orders": union(behaviour.build_honest_orders(w), fake_orders),
        "reports": behaviour.contract_select(reports, "reports"),
        "decisions": labels.build_decisions(w, reports),
    }
    if experiment.is_planted(w.s):
        frames["assignments"] = experiment.build_assignments(w)
    return frames, reports


def simulate(spark: SparkSession, s: SimulatorSettings, out: str) -> dict:
    """Write the landing zone at `out` and its truth at `<out>_truth`; return the manifest."""
    started = time.monotonic()
    out = _location(out)
    truth_dir = truth_location(out)
    truth.prepare_outputs(spark, out, truth_dir)
    w = World(spark, s)
    frames, reports = build_frames(w)
    counts = {}
    try:
        for entity in (e for e in ENTITY_ORDER if e in frames):
            days = [s.experiment.day] if entity == "assignments" else None  # delivered on one day
            counts[entity] = write_entity(w, entity, frames[entity], out, days)
    finally:
        reports.unpersist()
    bad = truth.build_bad_accounts(w)
    truth.write_single_file(bad, "parquet", f"{truth_dir}/bad_accounts.parquet")
    truth.write_single_file(bad, "csv", f"{truth_dir}/bad_accounts.csv")
    incidents = planted_incidents(s)
    if experiment.is_planted(s):
        incidents += experiment.experiment_truth(s, *experiment.arm_sizes(frames["assignments"]))
    truth.write_json(spark, f"{truth_dir}/incidents.json", incidents)
    manifest = {
        "landing": out,
        "truth": truth_dir,
        "seed": s.seed,
        "accounts": s.accounts,
        "days": s.days,
        "start": s.start.isoformat(),
        "layout": w.layout.sizes(),
        "rows": {e: sum(f["rows"] for f in c.values()) for e, c in counts.items()},
        "files": counts,
        "incidents": [i["kind"] for i in incidents],
        "config": s.model_dump(mode="json"),
        "seconds": round(time.monotonic() - started, 1),
    }
    truth.write_json(spark, f"{truth_dir}/manifest.json", manifest)
    return manifest
