"""Governance events: launches, changes and retirements, idempotent per day."""

import datetime as dt

from creator_governance.config import load_config
from creator_governance.jobs.strategies import write_events
from creator_governance.models.strategies.registry import governance_events, registry_snapshot
from creator_governance.runtime import JobContext
from creator_governance.settings.strategies import StrategyDefinition

D1, D2, D3 = dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)
SPAM = StrategyDefinition(id="spam", version=1, status="shadow", target="account", condition="posts_1d >= 20",
                          action="limit", severity=3, owner="", description="")
FARM = StrategyDefinition(id="farm", version=1, status="active", target="account", condition="lockstep_score > 0.5",
                          action="label", severity=2, owner="", description="")


def events(previous_specs, current_specs, day):
    prev = registry_snapshot(previous_specs, [], day - dt.timedelta(days=1)) if previous_specs else []
    return governance_events(prev, registry_snapshot(current_specs, prev, day), day)


def test_launch_change_and_retire():
    assert [(e["kind"], e["strategy_id"], e["description"]) for e in events([], [SPAM, FARM], D1)] == [
        ("strategy_launch", "farm", "launched in active"), ("strategy_launch", "spam", "launched in shadow")]
    promoted = SPAM.model_copy(update=dict(status="active", version=2, condition="posts_1d >= 25"))
    [change] = events([SPAM, FARM], [promoted, FARM], D2)
    assert change["kind"] == "strategy_change" and change["previous_status"] == "shadow"
    assert change["description"] == "version 1 -> 2; status shadow -> active; condition changed (was: posts_1d >= 20)"
    assert events([SPAM, FARM], [SPAM, FARM], D2) == []
    [retired, removed] = sorted(events([SPAM, FARM], [SPAM.model_copy(update=dict(status="retired"))], D2),
                                key=lambda e: e["strategy_id"], reverse=True)
    assert (retired["kind"], retired["description"]) == ("strategy_retire", "retired")
    assert (removed["strategy_id"], removed["description"]) == ("farm", "retired (removed from the library)")


def test_silent_edit_is_flagged():
    [change] = events([SPAM], [SPAM.model_copy(update=dict(severity=5))], D2)
    assert change["description"] == "severity 3 -> 5; definition changed without a version bump"


def test_rerunning_a_day_does_not_duplicate_events(spark, tables):
    ctx = JobContext(spark=spark, tables=tables, cfg=load_config(env="base"))
    no_hits: dict = {}  # (ds, strategy_id, status) -> hits of the day
    assert write_events(ctx, [D1], [SPAM], no_hits) == 1
    assert write_events(ctx, [D1], [SPAM], no_hits) == 1
    assert write_events(ctx, [D2], [SPAM, FARM], no_hits) == 1
    assert write_events(ctx, [D2], [SPAM, FARM], no_hits) == 1
    assert write_events(ctx, [D3], [FARM], no_hits) == 1  # spam dropped from the library: retired once
    assert write_events(ctx, [D3], [FARM], no_hits) == 1
    got = sorted((r.ds, r.kind, r.strategy_id) for r in tables.read("governance_events").collect())
    assert got == [(D1, "strategy_launch", "spam"), (D2, "strategy_launch", "farm"), (D3, "strategy_retire", "spam")]
