"""Alerts of `govern monitor` against the simulator's planted incidents.

    python benchmarks/monitoring_eval.py --truth LANDING_truth --lakehouse LH [--run [--monitor-only]] [--out F]

With --run it first computes governance_metrics (unless --monitor-only) and the alerts for the truth's whole
date range. Scoring uses `new` alerts only (one per incident of the alerts table):

- an alert **matches** a planted incident when its metric is one the incident moves (AFFECTED, from the
  simulator's mechanism), its day lies in the incident's window [day, end_day], and it is on the planted slice
  or on the metric's total (a global incident, dimension `all`, matches any slice);
- an incident is **found** when a matching alert starts on its first day or the next, on the planted slice or
  on a total whose top cause is the planted slice (any total for a global incident); for the intervention and
  the holiday the cause kind must come out `intervention` / `outside_factor` (reported separately);
- **precision** = matching new alerts / new alerts; the unmatched ones are listed.

The planted A/B experiment is not a monitoring incident (no metric slice) and is left out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

NOT_MONITORED = {"experiment"}
EXPECTED_CAUSE = {"enforcement_intervention": "intervention", "holiday_lull": "outside_factor"}
TIER_SHARES = ["risk_tier_share_low", "risk_tier_share_medium", "risk_tier_share_high", "risk_tier_share_critical"]
# Metrics each kind of incident moves, from how the simulator plants it (docs/simulator.md).
AFFECTED = {
    # New accounts in one country: registrations, and every metric over that country's account base.
    "registration_spike": ["new_registrations", "report_rate", *TIER_SHARES],
    # High-quality creators of a category post less: the content-quality metrics and the index built on them.
    "quality_supply_drop": ["high_quality_content_supply", "high_quality_content_share",
                            "low_quality_content_rate", "ecosystem_health_index"],
    # More reviews and automatic removals: enforcement, violations, the strategies scored on decisions.
    "enforcement_intervention": ["enforcement_volume", "creator_violation_rate", "ecosystem_health_index",
                                 "strategy_precision", "strategy_false_positive_rate"],
    # Everyone is less active: any metric may move, on any slice.
    "holiday_lull": None,
}


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def matches(alert, inc: dict) -> bool:
    """Does a new alert (a row with ds, metric, dimension, dimension_value) belong to a planted incident?"""
    metrics = AFFECTED.get(inc["kind"])
    if metrics is not None and alert.metric not in metrics:
        return False
    if not _day(inc["day"]) <= _day(alert.ds) <= _day(inc.get("end_day", inc["day"])):
        return False
    if inc["dimension"] == "all":
        return True
    return alert.dimension == "all" or (alert.dimension, alert.dimension_value) == (inc["dimension"],
                                                                                    inc["dimension_value"])


def found_by(alert, inc: dict) -> bool:
    """A matching alert that finds the incident: on its first day or the next, on the planted slice or on a
    total whose top cause names it."""
    if not matches(alert, inc) or _day(alert.ds) > _day(inc["day"]) + dt.timedelta(days=1):
        return False
    if inc["dimension"] == "all":
        return alert.dimension == "all"
    planted = f"{inc['dimension']}={inc['dimension_value']}"
    on_slice = (alert.dimension, alert.dimension_value) == (inc["dimension"], inc["dimension_value"])
    return on_slice or (alert.dimension == "all" and planted in str(alert.top_cause or "").split("&"))


def evaluate(alerts, incidents: list[dict]) -> dict:
    """Scores from an alerts pandas frame and the truth's incidents."""
    new = alerts[alerts["status"] == "new"].sort_values(["ds", "metric"])
    rows = list(new.itertuples())
    per_incident = []
    for inc in incidents:
        hits = [a for a in rows if found_by(a, inc)]
        causes = sorted({a.cause_kind for a in hits})
        want = EXPECTED_CAUSE.get(inc["kind"])
        per_incident.append({
            "kind": inc["kind"], "day": str(inc["day"]), "planted": f"{inc['dimension']}={inc['dimension_value']}",
            "found": bool(hits), "alerts": [f"{a.ds} {a.metric} {a.dimension}={a.dimension_value}" for a in hits],
            "cause_kinds": causes, "cause_ok": None if want is None else (want in causes),
        })
    matched = [any(matches(a, inc) for inc in incidents) for a in rows]
    unmatched = [f"{a.ds} {a.metric} {a.dimension}={a.dimension_value} ({a.direction}, score {a.score:.1f})"
                 for a, m in zip(rows, matched) if not m]
    found = sum(p["found"] for p in per_incident)
    return {
        "incidents": per_incident,
        "found": found, "planted": len(incidents), "recall": found / len(incidents) if incidents else None,
        "new_alerts": len(rows), "matched_new_alerts": int(sum(matched)), "unmatched_new_alerts": len(unmatched),
        "precision": sum(matched) / len(rows) if rows else None, "unmatched": unmatched,
        "alert_rows": int(len(alerts)), "status_counts": alerts["status"].value_counts().to_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", required=True, help="the simulator's truth folder (<landing>_truth)")
    parser.add_argument("--lakehouse", required=True)
    parser.add_argument("--run", action="store_true", help="compute metrics and alerts for the range first")
    parser.add_argument("--monitor-only", action="store_true",
                        help="with --run: recompute the alerts only (governance_metrics already there)")
    parser.add_argument("--out", help="write the JSON result here too")
    args = parser.parse_args(argv)
    incidents = [inc for inc in json.loads((Path(args.truth) / "incidents.json").read_text())
                 if inc.get("kind") not in NOT_MONITORED]
    from creator_governance.config import load_config
    from creator_governance.runtime import open_context

    cfg = load_config(overrides={"tables": {"lakehouse": args.lakehouse}})
    ctx = open_context(cfg)
    manifest = json.loads((Path(args.truth) / "manifest.json").read_text())
    start = dt.date.fromisoformat(str(manifest.get("start", cfg.simulator.start)))
    days = [start + dt.timedelta(days=i) for i in range(int(manifest.get("days", cfg.simulator.days)))]
    if args.run:
        from jobs import metrics, monitor

        if not args.monitor_only:
            print("metrics:", metrics.run(ctx, days), flush=True)
        print("monitor:", monitor.run(ctx, days), flush=True)
    result = evaluate(ctx.tables.read("alerts").toPandas(), incidents)
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
