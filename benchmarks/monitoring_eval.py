"""Alerts of `govern monitor` against the simulator's planted incidents.

    python benchmarks/monitoring_eval.py --truth LANDING_truth --lakehouse LH [--run [--monitor-only]] [--out F]
        [--label NAME [--render]]
    python benchmarks/monitoring_eval.py --render

--label appends the result to benchmarks/monitoring_results.jsonl; --render rewrites the generated section of
docs/monitoring.md from it (the latest result per label; a line {"label": L, "retired": "why"} drops label L).

With --run it first computes governance_metrics (unless --monitor-only) and the alerts for the truth's whole
date range. Scoring uses `new` alerts only (one per incident of the alerts table):

- an alert **matches** a planted incident when its metric is one the incident moves (AFFECTED, from the
  simulator's mechanism), its day lies in the incident's window [day, end_day], and it is on the planted slice
  or on the metric's total (a global incident, dimension `all`, matches any slice);
- an incident is **found** when a matching alert starts on its first day or the next, on the planted slice or
  on a total whose top cause is the planted slice (any total for a global incident); for the intervention and
  the holiday the cause kind must come out `intervention` / `outside_factor` (reported separately);
- the **segment** is named when the first alert that finds an incident has the truth's planted `segment` as its
  top cause, exactly (same dimension values; its own slice when no cause is narrower), e.g.
  `country=BR&category=gaming` for the registration spike;
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


def _pairs(cause: str | None) -> frozenset:
    return frozenset(part for part in str(cause or "").split("&") if part)


def top_cause_of(alert) -> str | None:
    """The segment an alert names first: its top cause, or its own slice when the move spreads over it."""
    if alert.top_cause:
        return alert.top_cause
    return None if alert.dimension == "all" else f"{alert.dimension}={alert.dimension_value}"


def planted_segment(inc: dict) -> str:
    """The truth's `segment`; for truths written before segments, the planted slice (`all` for a global one)."""
    return inc.get("segment") or ("all" if inc["dimension"] == "all" else f"{inc['dimension']}={inc['dimension_value']}")


def segment_named(alert, inc: dict) -> bool | None:
    """Whether the alert's top cause is exactly the planted segment (same dimension values, in any order); None
    for a global incident."""
    segment = planted_segment(inc)
    return None if segment == "all" else _pairs(top_cause_of(alert)) == _pairs(segment)


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
            "segment": planted_segment(inc), "top_causes": [top_cause_of(a) for a in hits],
            "segment_named": segment_named(hits[0], inc) if hits else None,
        })
    matched = [any(matches(a, inc) for inc in incidents) for a in rows]
    unmatched = [f"{a.ds} {a.metric} {a.dimension}={a.dimension_value} ({a.direction}, score {a.score:.1f})"
                 for a, m in zip(rows, matched) if not m]
    found = sum(p["found"] for p in per_incident)
    judged = [p for p in per_incident if p["segment_named"] is not None]
    return {
        "segments_named": sum(p["segment_named"] for p in judged), "segments_judged": len(judged),
        "incidents": per_incident,
        "found": found, "planted": len(incidents), "recall": found / len(incidents) if incidents else None,
        "new_alerts": len(rows), "matched_new_alerts": int(sum(matched)), "unmatched_new_alerts": len(unmatched),
        "precision": sum(matched) / len(rows) if rows else None, "unmatched": unmatched,
        "alert_rows": int(len(alerts)), "status_counts": alerts["status"].value_counts().to_dict(),
    }


RESULTS = Path(__file__).with_name("monitoring_results.jsonl")
DOC = Path(__file__).resolve().parents[1] / "docs" / "monitoring.md"
BEGIN, END = "<!-- monitoring:begin (generated by benchmarks/monitoring_eval.py --render) -->", "<!-- monitoring:end -->"


def record(result: dict, *, label: str, truth: str, seconds: float | None) -> dict:
    """One line of monitoring_results.jsonl: the label, when, on which commit, and the result."""
    import subprocess

    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=Path(__file__).parent).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True, cwd=Path(__file__).parent).stdout.strip()
    return {"label": label, "truth": truth, "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "git": head + ("+changes" if dirty else ""), "monitor_seconds": seconds, "result": result}


def render(records: list[dict]) -> str:
    """The generated section: one row per run (the latest per label), then the unmatched alerts."""
    latest = {r["label"]: r for r in records}
    # A label retired by a later line ({"label": ..., "retired": "why"}) is no longer shown (its lakehouse is gone
    # and the code changed since): the history stays in the file.
    latest = {label: r for label, r in latest.items() if not r.get("retired")}
    lines = ["", "| run | incidents found | first alert per incident: top cause | planted segment is the top "
                 "cause | causes told apart | new alerts | matched | precision | monitor time |",
             "|---|---:|---|---|---|---:|---:|---:|---:|"]
    notes = []
    for label, r in latest.items():
        res = r["result"]
        firsts = "; ".join(f"{i['kind']} " + (f"{i['alerts'][0]}: {(i.get('top_causes') or [None])[0] or '-'}"
                                               if i["alerts"] else "missed") for i in res["incidents"])
        named = (f"{res['segments_named']}/{res['segments_judged']}" if "segments_named" in res else "–")
        told = ", ".join(f"{i['kind']}: {'/'.join(i['cause_kinds']) or '-'}" for i in res["incidents"]
                         if i["cause_ok"] is not None)
        precision = "–" if res["precision"] is None else f"{res['precision']:.2f}"
        seconds = "–" if r.get("monitor_seconds") is None else f"{r['monitor_seconds']:.0f} s"
        lines.append(f"| {label} | {res['found']}/{res['planted']} | {firsts} | {named} | {told} | {res['new_alerts']} | "
                     f"{res['matched_new_alerts']} | {precision} | {seconds} |")
        if res["unmatched"]:
            notes.append(f"- {label}: " + "; ".join(res["unmatched"]))
    text = "\n".join(lines) + "\n\nNew alerts that match no planted incident:\n\n" + ("\n".join(notes) or "- none")
    runs = ", ".join(sorted({f"{r['git']} ({r['when']})" for r in latest.values()}))
    return f"\n_Generated by `benchmarks/monitoring_eval.py --render` from {RESULTS.name}; code {runs}._\n{text}\n\n"


def write_doc(section: str, doc: Path = DOC) -> None:
    """Replace the text between the markers of docs/monitoring.md (nothing else), atomically."""
    import os

    current = doc.read_text()
    start, end = current.index(BEGIN) + len(BEGIN), current.index(END)
    tmp = doc.with_suffix(".md.tmp")
    tmp.write_text(current[:start] + "\n" + section + current[end:])
    os.replace(tmp, doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", help="the simulator's truth folder (<landing>_truth)")
    parser.add_argument("--lakehouse")
    parser.add_argument("--run", action="store_true", help="compute metrics and alerts for the range first")
    parser.add_argument("--monitor-only", action="store_true",
                        help="with --run: recompute the alerts only (governance_metrics already there)")
    parser.add_argument("--out", help="write the JSON result here too")
    parser.add_argument("--label", help="record the result under this label in monitoring_results.jsonl")
    parser.add_argument("--render", action="store_true",
                        help="rewrite the generated section of docs/monitoring.md from monitoring_results.jsonl")
    args = parser.parse_args(argv)
    if args.render and not args.truth:
        write_doc(render([json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]))
        return 0
    incidents = [inc for inc in json.loads((Path(args.truth) / "incidents.json").read_text())
                 if inc.get("kind") not in NOT_MONITORED]
    from creator_governance.config import load_config
    from creator_governance.runtime import open_context

    cfg = load_config(overrides={"tables": {"lakehouse": args.lakehouse}})
    ctx = open_context(cfg)
    manifest = json.loads((Path(args.truth) / "manifest.json").read_text())
    start = dt.date.fromisoformat(str(manifest.get("start", cfg.simulator.start)))
    days = [start + dt.timedelta(days=i) for i in range(int(manifest.get("days", cfg.simulator.days)))]
    seconds = None
    if args.run:
        from creator_governance.jobs import metrics, monitor

        if not args.monitor_only:
            print("metrics:", metrics.run(ctx, days), flush=True)
        summary = monitor.run(ctx, days)
        seconds = summary["seconds"]
        print("monitor:", summary, flush=True)
    result = evaluate(ctx.tables.read("alerts").toPandas(), incidents)
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    if args.label:
        with RESULTS.open("a") as f:
            f.write(json.dumps(record(result, label=args.label, truth=args.truth, seconds=seconds), default=str) + "\n")
    if args.render:
        write_doc(render([json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
