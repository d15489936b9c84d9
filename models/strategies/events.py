"""Governance events of the strategy library that are pure logic: when list membership changes within a range
(its epochs) and when an enforcing strategy's daily hits jump."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from creator_governance.models.strategies.spec import ENFORCING_ACTIONS

if TYPE_CHECKING:  # annotations only: the job passes the validated sections as they are
    from creator_governance.settings.strategies import EnforcementJumpSettings
    from creator_governance.settings.strategies import StrategyDefinition


def list_epochs(days: list[dt.date], changed: Iterable[dt.date]) -> list[list[dt.date]]:
    """`days` in order, cut into runs over which list membership (as of each day's end) does not change: a run
    ends before a day on or before which a list changed (`changed`: the dates of changes) since the previous day."""
    changed = list(changed)
    epochs = [[days[0]]]
    for before, day in zip(days, days[1:]):
        if any(before < c <= day for c in changed):
            epochs.append([])
        epochs[-1].append(day)
    return epochs


def enforcement_jumps(days: list[dt.date], specs: Sequence[StrategyDefinition], counts: dict,
                      active: dict[tuple[dt.date, str], int], jump: EnforcementJumpSettings) -> list[dict]:
    """Events for an enforcing active strategy whose hits on one of `days` reach `jump.factor` x its trailing daily
    mean over `jump.trailing_days` (and at least `jump.min_hits`). `counts`: (ds, strategy_id, status) -> hits of
    `days`; `active`: (ds, strategy_id) -> active hits of every day the trailing windows need."""
    enforcing = {x.id: x for x in specs if x.status == "active" and x.action in ENFORCING_ACTIONS}
    out = []
    for day in days:
        today: dict[str, int] = {}
        for (d, sid, _), n in counts.items():
            if d == day and sid in enforcing:
                today[sid] = today.get(sid, 0) + n
        window = {day - dt.timedelta(days=i) for i in range(1, jump.trailing_days + 1)}
        for sid, n in sorted(today.items()):
            mean = sum(m for (d, x), m in active.items() if x == sid and d in window) / jump.trailing_days
            if n >= jump.min_hits and mean > 0 and n >= jump.factor * mean:
                x = enforcing[sid]
                out.append({"ds": day, "event_id": f"jump-{sid}-{day}", "kind": "enforcement_jump",
                            "strategy_id": sid, "version": x.version, "status": x.status, "description":
                            f"{n} hits vs a trailing mean of {mean:.1f}/day", "target_type": x.target,
                            "action": x.action,
                            "scope": f"{x.target} strategy, action {x.action}, when {x.condition}"})
    return out
