"""Strategy launches, changes and retirements as governance events, from snapshots of the library.

Each run of a day stores the library's state for that day (`strategy_registry`, one row per strategy) and
derives the day's events by comparing it with the latest snapshot before that day. Re-running a day replaces
both partitions, so events never duplicate; a strategy dropped from the library is retired once and stays
in later snapshots as retired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from creator_governance.settings.strategies import StrategyDefinition

DEFINING = ("version", "status", "target", "condition", "action", "severity")


def definition_hash(spec: StrategyDefinition) -> str:
    """A stable fingerprint of what the strategy does (not of its owner or wording)."""
    body = "\x1f".join(str(getattr(spec, f)) for f in DEFINING)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def registry_snapshot(specs: Sequence[StrategyDefinition], previous: Sequence[dict], ds: dt.date) -> list[dict]:
    """The library's state on `ds`: current strategies, plus earlier ones no longer defined, as retired."""
    rows = [_row(s, ds) for s in specs]
    defined = {s.id for s in specs}
    for old in previous:
        if old["strategy_id"] not in defined:
            rows.append({**old, "status": "retired", "ds": ds, "in_library": False})
    return sorted(rows, key=lambda r: r["strategy_id"])


def _row(spec: StrategyDefinition, ds: dt.date) -> dict:
    return {
        "ds": ds, "strategy_id": spec.id, "version": spec.version, "status": spec.status, "target": spec.target,
        "action": spec.action, "severity": spec.severity, "condition": spec.condition, "owner": spec.owner,
        "description": spec.description, "source": spec.source, "definition_hash": definition_hash(spec),
        "in_library": True,
    }


def governance_events(previous: Sequence[dict], current: Sequence[dict], ds: dt.date) -> list[dict]:
    """Events of `ds`: snapshot `current` (from registry_snapshot) against the latest earlier `previous`.

    Columns: ds, event_id, kind, strategy_id, version, status, previous_version, previous_status,
    description, target_type, action, scope.
    """
    before = {r["strategy_id"]: r for r in previous}
    events = []
    for row in current:
        old = before.get(row["strategy_id"])
        was_live = old is not None and old["status"] != "retired"
        is_live = row["status"] != "retired"
        if is_live and not was_live:
            kind = "strategy_launch"
            text = f"launched in {row['status']}" + (" (relaunch after retirement)" if old else "")
        elif was_live and not is_live:
            kind = "strategy_retire"
            text = "retired" + ("" if row.get("in_library", True) else " (removed from the library)")
        elif was_live and is_live and old["definition_hash"] != row["definition_hash"]:
            kind = "strategy_change"
            text = _describe_change(old, row)
        else:
            continue
        events.append(_event(ds, kind, row, old, text))
    return events


def _describe_change(old: dict, new: dict) -> str:
    parts = []
    for field in ("version", "status", "action", "severity", "target"):
        if old[field] != new[field]:
            parts.append(f"{field} {old[field]} -> {new[field]}")
    if old["condition"] != new["condition"]:
        parts.append(f"condition changed (was: {old['condition']})")
    if old["version"] == new["version"]:
        parts.append("definition changed without a version bump")
    return "; ".join(parts)


def _event(ds: dt.date, kind: str, row: dict, old: dict | None, text: str) -> dict:
    event_id = hashlib.sha256(f"{ds}|{kind}|{row['strategy_id']}|{row['version']}".encode()).hexdigest()[:16]
    return {
        "ds": ds, "event_id": event_id, "kind": kind, "strategy_id": row["strategy_id"],
        "version": int(row["version"]), "status": row["status"],
        "previous_version": None if old is None else int(old["version"]),
        "previous_status": None if old is None else old["status"],
        "description": text, "target_type": row["target"], "action": row["action"],
        "scope": f"{row['target']} strategy, action {row['action']}, when {row['condition']}",
    }
