"""The readable backtest report: markdown from the (small) long-format strategy_performance rows."""

from __future__ import annotations

from collections import defaultdict


def _fmt(value, pct: bool = False) -> str:
    if value is None:
        return "-"
    if pct:
        return f"{100 * value:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3g}"


def backtest_report(rows: list[dict], *, header: dict, target_precision: float) -> str:
    """Markdown: the summary table per strategy, overlap, daily volume and threshold sweeps."""
    summary: dict[str, dict] = defaultdict(dict)
    overlap: dict[str, dict] = defaultdict(dict)
    daily: dict[str, dict] = defaultdict(dict)
    sweep: dict[str, list] = defaultdict(list)
    for r in rows:
        sid = r["strategy_id"]
        if r["metric"] == "daily_hits":
            daily[sid][r["hit_ds"]] = r["value"]
        elif r["metric"] == "overlap_targets":
            overlap[sid][r["other_strategy_id"]] = r["value"]
        elif r["metric"].startswith("sweep_"):
            sweep[sid].append(r)
        elif r["metric"] != "overlap_share":
            summary[sid][r["metric"]] = r["value"]
            summary[sid]["version"] = r["version"]
    lines = [f"# Strategy backtest {header['ds_from']} .. {header['ds_to']}", ""]
    lines += [f"- {k}: {v}" for k, v in header.items()] + [""]
    lines += ["| strategy | v | hit targets | reviewed | precision | recall | FP on good creators "
              "(cleared / high credit) | incremental recall | IPW precision | IPW recall | "
              f"threshold for precision {target_precision:g} |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for sid in sorted(summary):
        m = summary[sid]
        threshold = next((v for k, v in m.items() if k.startswith("threshold_for_precision")), None)
        lines.append(
            f"| {sid} | {m.get('version')} | {_fmt(m.get('hit_targets'))} | {_fmt(m.get('reviewed'))} | "
            f"{_fmt(m.get('precision'), True)} | {_fmt(m.get('recall'), True)} | {_fmt(m.get('fp_good_creators'))} "
            f"({_fmt(m.get('hits_on_cleared_creators'))} / {_fmt(m.get('hits_on_high_credit'))}) | "
            f"{_fmt(m.get('incremental_recall'), True)} | {_fmt(m.get('ipw_precision'), True)} | "
            f"{_fmt(m.get('ipw_recall'), True)} | {_fmt(threshold)} |")
    violators = next((m.get("violators_total") for m in summary.values() if m.get("violators_total") is not None), 0)
    lines += ["", f"Known violators in the label window: {_fmt(violators)}.", ""]
    names = sorted(summary)
    if len(names) > 1:
        lines += ["## Overlap (shared hit targets)", "", "| | " + " | ".join(names) + " |",
                  "| --- |" + " ---: |" * len(names)]
        for a in names:
            lines.append(f"| {a} | " + " | ".join("-" if a == b else _fmt(overlap[a].get(b, 0)) for b in names) + " |")
        lines.append("")
    if daily:
        days = sorted({d for v in daily.values() for d in v})
        lines += ["## Daily hit volume", "", "| strategy | min | median | max | days with hits |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for sid in sorted(daily):
            values = sorted(daily[sid].get(d, 0) for d in days)
            lines.append(f"| {sid} | {_fmt(values[0])} | {_fmt(values[len(values) // 2])} | {_fmt(values[-1])} | "
                         f"{sum(1 for v in values if v)} / {len(days)} |")
        lines.append("")
    for sid in sorted(sweep):
        points: dict[float, dict] = defaultdict(dict)
        for r in sweep[sid]:
            points[r["threshold"]][r["metric"].removeprefix("sweep_")] = r["value"]
        lines += [f"## Threshold sweep: {sid}", "", "| threshold | flagged | precision | recall |",
                  "| ---: | ---: | ---: | ---: |"]
        for t in sorted(points):
            p = points[t]
            lines.append(f"| {_fmt(t)} | {_fmt(p.get('flagged'))} | {_fmt(p.get('precision'), True)} | "
                         f"{_fmt(p.get('recall'), True)} |")
        lines.append("")
    return "\n".join(lines)
