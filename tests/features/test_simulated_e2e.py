"""End to end on the simulator: planted matrix groups come out as graph components, farm rings as lockstep groups.

Simulate ~2k accounts x 10 days, ingest, run `govern features` for the last day through the job. Marked slow:
it runs the whole simulate -> ingest -> features chain (minutes on a busy 2-core box).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def simulated(spark, tmp_path_factory):
    from creator_governance.config import load_config
    from creator_governance.runtime import JobContext
    from creator_governance.simulator import simulate
    from creator_governance.tables import Tables
    from creator_governance.jobs import build_features, ingest

    root = tmp_path_factory.mktemp("e2e")
    cfg = load_config(overrides={"simulator": {"accounts": 2000, "days": 10, "seed": 5},
                                 "tables": {"lakehouse": str(root / "lakehouse"), "engine": "delta-rs"}})
    manifest = simulate(spark, cfg.simulator, str(root / "landing"))
    ctx = JobContext(spark=spark, tables=Tables.from_config(spark, cfg.tables), cfg=cfg)
    ingest.run(ctx, str(root / "landing"))
    last = cfg.simulator.start + dt.timedelta(days=cfg.simulator.days - 1)
    build_features.run(ctx, [last])
    features = {r["account_id"]: r for r in ctx.tables.read("creator_features", ds=[last]).collect()}
    truth = spark.read.parquet(str(manifest["truth"]) + "/bad_accounts.parquet").collect()
    return features, truth, ctx, last


def _groups(truth, pattern):
    groups: dict[object, list[str]] = {}
    for row in truth:
        if row["pattern"] == pattern:
            groups.setdefault(row["group_id"], []).append(row["account_id"])
    return groups


def test_matrix_groups_are_graph_components(simulated):
    features, truth, _, _ = simulated
    groups = _groups(truth, "matrix")
    assert groups, "the simulation planted no matrix group"
    for members in groups.values():
        present = [m for m in members if m in features]
        clusters = Counter(features[m]["graph_cluster_id"] for m in present)
        cluster, size = clusters.most_common(1)[0]
        assert size >= 0.8 * len(present)
        assert features[present[0]]["graph_cluster_size"] <= 3 * len(members)  # not a giant component


def test_farm_rings_are_lockstep_groups(simulated):
    features, truth, _, _ = simulated
    rings = _groups(truth, "farm_ring")
    assert rings, "the simulation planted no farm ring"
    for members in rings.values():
        present = [m for m in members if m in features]
        groups = Counter(features[m]["lockstep_group_id"] for m in present)
        group, size = groups.most_common(1)[0]
        assert group is not None and size >= 0.6 * len(present)
    organic = [r for r in features.values() if r["lockstep_group_id"] is not None
               and r["account_id"] not in {a for m in rings.values() for a in m}]
    assert len(organic) <= 0.01 * len(features)


def test_rerunning_a_day_replaces_its_partition(simulated):
    from creator_governance.jobs import build_features

    _, _, ctx, last = simulated
    before = ctx.tables.read("creator_features", ds=[last]).count()
    build_features.run(ctx, [last])
    assert ctx.tables.read("creator_features", ds=[last]).count() == before
