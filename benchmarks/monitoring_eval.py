"""Alert precision / recall of `govern monitor` against the simulator's planted incidents.

    python benchmarks/monitoring_eval.py --truth /tmp/sim_mon_truth --lakehouse /tmp/lh_mon [--run [--monitor-only]]

With --run it first computes governance_metrics and alerts for the truth's whole date range (features must
exist). Scoring, per incident of incidents.json:
- hit: on the incident's day a `new` alert whose top root-cause candidate is the planted dimension value
  (for a global incident, dimension `all`: a `new` alert on a metric total);
- told apart: the hit's cause_kind (intervention for enforcement_intervention, outside_factor for holiday_lull).
Alert groups are (ds, metric) with at least one `new` alert: a group is a true positive when its day lies in an
incident's window [day, end_day], else a false positive. Precision = TP groups / groups; recall = hit incidents
/ incidents. Days without any incident report how many groups they raised.
The planted A/B experiment (kind `experiment`, issue #10) is not a monitoring incident: it moves half of the
enrolled accounts' reports and has no metric dimension, so it is left out of both recall and the windows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

NOT_MONITORED = {"experiment"}
EXPECTED_CAUSE = {"enforcement_intervention": "intervention", "holiday_lull": "outside_factor"}


def evaluate(alerts, incidents: list[dict], days: list[dt.date]) -> dict:
    """Scores from an alerts pandas frame and the truth's incidents."""
    new = alerts[alerts["status"] == "new"]
    per_incident = []
    windows = []
    for inc in incidents:
        day = dt.date.fromisoformat(inc["day"])
        end = dt.date.fromisoformat(inc.get("end_day", inc["day"]))
        windows.append((day, end))
        today = new[new["ds"] == day]
        planted = f"{inc['dimension']}={inc['dimension_value']}"
        if inc["dimension"] == "all":
            hits = today[today["dimension"] == "all"]
        else:
            hits = today[(today["top_cause"] == planted)
                         | ((today["dimension"] == inc["dimension"]) & (today["dimension_value"] == inc["dimension_value"])
                            & (today["top_cause"] == planted))]
        causes = sorted(set(hits["cause_kind"]))
        want = EXPECTED_CAUSE.get(inc["kind"])
        per_incident.append({
            "kind": inc["kind"], "day": inc["day"], "planted": planted, "hit": not hits.empty,
            "metrics": sorted(set(hits["metric"])), "cause_kinds": causes,
            "cause_ok": None if want is None else (want in causes),
        })
    groups = new.groupby(["ds", "metric"]).size().reset_index()[["ds", "metric"]]
    in_window = groups["ds"].map(lambda d: any(a <= d <= b for a, b in windows))
    quiet = [d for d in days if not any(a <= d <= b for a, b in windows)]
    quiet_groups = groups[~in_window]
    hits = sum(p["hit"] for p in per_incident)
    return {
        "incidents": per_incident,
        "recall": hits / len(incidents) if incidents else None,
        "alert_groups": int(len(groups)), "true_positive_groups": int(in_window.sum()),
        "precision": float(in_window.mean()) if len(groups) else None,
        "alert_rows": int(len(alerts)), "new_rows": int(len(new)),
        "quiet_days": len(quiet), "groups_on_quiet_days": int(len(quiet_groups)),
        "groups_per_quiet_day": len(quiet_groups) / len(quiet) if quiet else None,
        "quiet_day_groups": [f"{r.ds} {r.metric}" for r in quiet_groups.itertuples()],
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
    manifest_path = Path(args.truth) / "manifest.json"
    from creator_governance.config import load_config
    from creator_governance.runtime import open_context

    cfg = load_config(overrides={"tables": {"lakehouse": args.lakehouse}})
    ctx = open_context(cfg)
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        start = dt.date.fromisoformat(str(manifest.get("start", cfg.simulator.start)))
        n_days = int(manifest.get("days", cfg.simulator.days))
    else:
        start, n_days = cfg.simulator.start, cfg.simulator.days
    days = [start + dt.timedelta(days=i) for i in range(n_days)]
    if args.run:
        from jobs import metrics, monitor

        if not args.monitor_only:
            print("metrics:", metrics.run(ctx, days), flush=True)
        print("monitor:", monitor.run(ctx, days), flush=True)
    alerts = ctx.tables.read("alerts").toPandas()
    result = evaluate(alerts, incidents, days)
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
