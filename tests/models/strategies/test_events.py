"""List epochs and enforcement jumps on hand-made values (no Spark)."""

import datetime as dt

from creator_governance.models.strategies.events import enforcement_jumps, list_epochs
from creator_governance.settings.strategies import EnforcementJumpSettings
from creator_governance.settings.strategies import StrategyDefinition

D = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(5)]


def test_epochs_cut_before_the_day_a_list_changed_and_ignore_changes_outside():
    assert list_epochs(D, []) == [D]
    # a change on day 3 (dated between day 2's end and day 3's end) starts a new run at day 3
    assert list_epochs(D, [D[2]]) == [D[:2], D[2:]]
    assert list_epochs(D, [D[1], D[4], D[0], dt.date(2026, 2, 1)]) == [D[:1], D[1:4], D[4:]]


def strategy(sid, status="active", action="ban"):
    return StrategyDefinition(id=sid, owner="t&s", description=sid, target="account", condition="posts_1d > 9",
                              action=action, severity=3, version=2, status=status)


def test_a_jump_needs_the_factor_the_minimum_and_an_enforcing_active_strategy():
    jump = EnforcementJumpSettings(factor=3.0, min_hits=5, trailing_days=2)
    specs = [strategy("ban_rule"), strategy("label_rule", action="label"), strategy("shadow_ban", status="shadow")]
    active = {(D[0], "ban_rule"): 2, (D[1], "ban_rule"): 2, (D[0], "label_rule"): 1, (D[1], "label_rule"): 1}
    counts = {(D[2], "ban_rule", "active"): 6, (D[2], "label_rule", "active"): 30,
              (D[2], "shadow_ban", "shadow"): 40, (D[3], "ban_rule", "active"): 5}
    active |= {(d, sid): n for (d, sid, status), n in counts.items() if status == "active"}
    events = enforcement_jumps([D[2], D[3]], specs, counts, active, jump)
    # day 3: 6 >= 3 x mean(2, 2) = 6 and >= 5; day 4: 5 < 3 x mean(2, 6) = 12; labels and shadows never jump
    assert [(e["ds"], e["strategy_id"], e["description"]) for e in events] == [
        (D[2], "ban_rule", "6 hits vs a trailing mean of 2.0/day")]
    assert events[0]["kind"] == "enforcement_jump" and events[0]["event_id"] == f"jump-ban_rule-{D[2]}"
    assert enforcement_jumps([D[2]], specs, counts, active, EnforcementJumpSettings(factor=3.0, min_hits=7,
                                                                                    trailing_days=2)) == []
