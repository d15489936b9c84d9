"""Fault injection: SIGKILL a daily job at a random moment, re-run it, and get the clean run's tables.

For each job (ingest, features, score, metrics) the lakehouse state just before the job in a clean run is copied,
the job runs in a child process whose process group (driver and JVM) is SIGKILLed at a moment drawn from
[0, the job's clean duration), and the job is then re-run normally. Every table the job writes in the clean run
must then hold the same rows (run ids and wall-clock stamps aside) and no duplicate keys.

Behind the `slow` marker (the clean run alone costs a few minutes): `-m slow` kills each job GOVERN_FAULT_ROUNDS
times (default 5) at different moments; .ci/run runs it bounded (one round per job). GOVERN_FAULT_SEED (default 11) seeds the moments; a failure prints seed, job, round and moment, and
`GOVERN_FAULT_SEED=<seed> pytest tests/reliability -k <job>` replays it.
"""

from __future__ import annotations

import os
import random

import pytest
from chispa import assert_approx_df_equality
from pyspark.sql import functions as F

JOBS = ("ingest", "features", "score", "metrics")
SEED = int(os.environ.get("GOVERN_FAULT_SEED", "11"))
ROUNDS = int(os.environ.get("GOVERN_FAULT_ROUNDS", "5"))
# Columns that differ between two correct runs: run ids and wall-clock stamps.
VOLATILE = {"run_id", "ingested_at", "quarantined_at", "computed_at"}
# Keys the contract (and the jobs' docs) promise unique.
KEYS = {
    "accounts": ["account_id"], "sessions": ["event_id"], "content": ["content_id"], "engagements": ["event_id"],
    "orders": ["order_id"], "reports": ["report_id"], "decisions": ["decision_id"],
    "creator_features": ["account_id", "ds"], "content_features": ["content_id", "ds"],
    "creator_scores": ["account_id", "ds"],
    "governance_metrics": ["ds", "metric", "dimension", "dimension_value"],
}


def _tables(spark, root):
    from creator_governance.tables import Tables

    return Tables(spark, str(root), engine="delta-rs")


# The log of runs, not a result: a killed run leaves no row, a re-run one, and each row holds its times.
RUN_LOG = {"pipeline_runs"}


def written_by(spark, clean, i: int) -> list[str]:
    """The tables step i of the clean run created or committed to (its results: the run log aside)."""
    before, after = _tables(spark, clean.before(i)), _tables(spark, clean.after(i))
    return sorted(n for n in after.names() if n not in RUN_LOG
                  and (not before.exists(n) or before.version(n) != after.version(n)))


def comparable(tables, name: str):
    """The table minus volatile columns, keys first (rows are sorted on the columns in order)."""
    df = tables.read(name)
    keys = KEYS.get(name, [])
    return df.select(*keys, *sorted(c for c in df.columns if c not in VOLATILE and c not in keys))


def assert_same_tables(spark, clean, i: int, lakehouse, context: str) -> list[str]:
    names = written_by(spark, clean, i)
    assert names, f"{context}: the clean step wrote no table"
    rerun, expected = _tables(spark, lakehouse), _tables(spark, clean.after(i))
    for name in names:
        assert rerun.exists(name), f"{context}: table {name} missing after the re-run"
        actual = comparable(rerun, name)
        keys = KEYS.get(name)
        if keys:
            dupes = actual.groupBy(*keys).count().filter(F.col("count") > 1).limit(5).collect()
            assert not dupes, f"{context}: duplicate keys in {name}: {dupes}"
        try:
            # Sums of doubles (e.g. gmv_7d) may differ in the last bit with the order Spark adds them in.
            assert_approx_df_equality(actual, comparable(expected, name), precision=1e-9, ignore_row_order=True,
                                      ignore_nullable=True)
        except AssertionError as exc:
            raise AssertionError(f"{context}: table {name} differs from the clean run\n{str(exc)[:3000]}") from None
    return names


def kill_and_rerun(spark, clean, run_and_kill, job: str, round_: int, work) -> None:
    from creator_governance.cli import dispatch

    i = clean.index(job)
    moment = random.Random(f"{SEED}-{job}-{round_}").uniform(0, clean.seconds[i])
    context = (f"{job} killed {moment:.2f}s into its {clean.seconds[i]:.1f}s run "
               f"(GOVERN_FAULT_SEED={SEED}, round {round_})")
    print(context)
    killed = run_and_kill(clean, i, work, moment)
    before, after_kill = _tables(spark, clean.before(i)), _tables(spark, killed.lakehouse)
    landed = sorted(n for n in after_kill.names() if not before.exists(n) or before.version(n) != after_kill.version(n))
    print(f"  finished before the kill: {killed.finished}; tables committed before the kill: {landed}")
    assert dispatch(job, clean.argv(i, killed.lakehouse)) == 0, f"{context}: the re-run failed"
    names = assert_same_tables(spark, clean, i, killed.lakehouse, context)
    print(f"  same as the clean run: {names}")


@pytest.mark.slow
@pytest.mark.parametrize("job", JOBS)
def test_a_job_killed_at_random_moments_then_rerun_equals_the_clean_run(spark, small_clean, run_and_kill, tmp_path,
                                                                        job):
    for round_ in range(ROUNDS):
        kill_and_rerun(spark, small_clean, run_and_kill, job, round_, tmp_path / f"round-{round_}")
