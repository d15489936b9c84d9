"""The daily dashboard: one self-contained HTML file (plotly.js inlined) from small aggregated frames.

Rendering only: `jobs/dashboard.py` reads the tables and aggregates them in Spark; this module turns the
resulting pandas frames (tens to hundreds of rows) into charts and tables. A missing input renders as a
short "not available" note instead of failing the page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

SEVERITY_COLOURS = {"critical": "#b10026", "high": "#e31a1c", "medium": "#fd8d3c", "low": "#fecc5c"}


@dataclass
class DashboardData:
    """Inputs of one day's dashboard; `None` means the source table does not exist yet."""

    ds: str
    metrics: pd.DataFrame | None = None  # ds, metric, value (totals)
    bands: pd.DataFrame | None = None  # ds, metric, expected, lower, upper (the monitor's band of each total)
    incidents: pd.DataFrame | None = None  # metric, incident_id, start, end, severity (totals)
    alerts: pd.DataFrame | None = None  # ds, metric, dimension, dimension_value, observed, expected, severity,
    #                                     status, top_cause, cause_kind, explanation
    strategies: pd.DataFrame | None = None  # strategy_id, hit_accounts, reviewed, confirmed, precision, recall
    backtest: pd.DataFrame | None = None  # strategy_id, precision, recall, hit_targets, fp_good_creators
    score_hist: pd.DataFrame | None = None  # bin, share_today, share_reference
    tiers: dict[str, float] = field(default_factory=dict)  # risk tier -> lowest score
    psi: float | None = None
    syndicates: pd.DataFrame | None = None  # syndicate_id, size, mean_score, shared_signals, suggested_action
    queue: pd.DataFrame | None = None  # rank, entity_kind, entity_id, priority, suggested_action, evidence
    experiments: pd.DataFrame | None = None  # experiment, metric, variant, rel_lift [lo, hi], p_adjusted, flags
    health: dict[str, pd.DataFrame] | None = None  # steps, ingest, quality
    notes: dict[str, str] = field(default_factory=dict)


def render(data: DashboardData) -> str:
    """The whole page."""
    import plotly.graph_objects as go  # noqa: F401 - fail early with a clear ImportError

    parts = [_header(data)]
    plotly_included = False

    def chart(fig) -> str:
        nonlocal plotly_included
        import plotly.io as pio

        out = pio.to_html(fig, full_html=False, include_plotlyjs=not plotly_included,
                          config={"displayModeBar": False, "responsive": True})
        plotly_included = True
        return f'<div class="chart">{out}</div>'

    parts.append(_section("Metric trends", _metric_charts(data, chart), data.notes.get("metrics"), "trends"))
    parts.append(_section("Alerts and root causes", _alert_table(data), data.notes.get("alerts"), "alerts"))
    parts.append(_section("Review queue: the top 20", _frame_table(data.queue, "The queue is empty.", 20),
                          data.notes.get("queue"), "queue"))
    parts.append(_section("Strategy precision and recall", _strategy_chart(data, chart), data.notes.get("strategies"),
                          "strategies"))
    parts.append(_section("Score distribution and drift", _score_chart(data, chart), data.notes.get("scores"),
                          "scores"))
    parts.append(_section("Top syndicates", _frame_table(data.syndicates, "No syndicates found.", 20),
                          data.notes.get("syndicates"), "syndicates"))
    parts.append(_section("Experiments", _frame_table(data.experiments, "No experiment analysed yet."),
                          data.notes.get("experiments"), "experiments"))
    parts.append(_section("Pipeline health and data quality", _health(data), data.notes.get("health"), "health"))
    return _page(data.ds, "\n".join(parts))


def _metric_charts(data: DashboardData, chart) -> str | None:
    """Each metric's total: the observed line inside the monitor's expected band, its incidents as shaded spans
    (darker with severity) and the alert days as red crosses."""
    import plotly.graph_objects as go

    if data.metrics is None or data.metrics.empty:
        return None
    alerts = data.alerts if data.alerts is not None else pd.DataFrame(columns=["ds", "metric", "dimension"])
    bands = data.bands if data.bands is not None else pd.DataFrame(columns=["ds", "metric"])
    incidents = data.incidents if data.incidents is not None else pd.DataFrame(columns=["metric"])
    blocks = []
    for metric, series in data.metrics.sort_values("ds").groupby("metric", sort=True):
        fig = go.Figure()
        band = bands[bands["metric"] == metric].sort_values("ds")
        if not band.empty:
            fig.add_trace(go.Scatter(x=band["ds"], y=band["upper"], mode="lines", line={"width": 0},
                                     hoverinfo="skip", name="upper"))
            fig.add_trace(go.Scatter(x=band["ds"], y=band["lower"], mode="lines", line={"width": 0}, fill="tonexty",
                                     fillcolor="rgba(43,108,176,0.15)", hoverinfo="skip", name="expected band"))
            fig.add_trace(go.Scatter(x=band["ds"], y=band["expected"], mode="lines", name="expected",
                                     line={"color": "#718096", "dash": "dot", "width": 1}))
        fig.add_trace(go.Scatter(x=series["ds"], y=series["value"], mode="lines+markers", name=metric,
                                 line={"color": "#2b6cb0"}))
        for incident in incidents[incidents["metric"] == metric].to_dict("records"):
            colour = SEVERITY_COLOURS.get(str(incident.get("severity")), "#fd8d3c")
            fig.add_vrect(x0=incident["start"], x1=incident["end"], fillcolor=colour, opacity=0.18, line_width=0)
        hits = alerts[(alerts["metric"] == metric) & (alerts["dimension"] == "all")]
        if not hits.empty:
            marked = series[series["ds"].isin(set(hits["ds"]))]
            fig.add_trace(go.Scatter(x=marked["ds"], y=marked["value"], mode="markers", name="alert",
                                     marker={"color": "#e31a1c", "size": 12, "symbol": "x"}))
        fig.update_layout(title=metric, height=260, margin={"l": 40, "r": 10, "t": 40, "b": 30}, showlegend=False)
        blocks.append(chart(fig))
    legend = ('<p class="legend">Blue: the day\'s value; shaded blue: the monitor\'s expected band (dotted: its '
              'forecast); orange/red spans: open incidents; red crosses: alert days.</p>')
    return legend + '<div class="grid">' + "".join(blocks) + "</div>"


def _alert_table(data: DashboardData) -> str | None:
    """The last week's open alerts, newest first: day, metric, slice, top cause, severity; the explanation on
    demand (a disclosure per row)."""
    if data.alerts is None:
        return None
    if data.alerts.empty:
        return "<p>No alerts in the window.</p>"
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    rows = data.alerts.assign(_s=data.alerts["severity"].map(rank).fillna(4)).sort_values(
        ["ds", "_s", "metric"], ascending=[False, True, True]).head(50)
    head = "".join(f"<th>{c}</th>" for c in ("day", "metric", "slice", "top cause", "kind", "severity", "move", "why"))
    body = []
    for r in rows.to_dict("records"):
        where = "total" if r["dimension"] == "all" else f"{r['dimension']}={r['dimension_value']}"
        move = f"{_fmt(r.get('observed'))} vs {_fmt(r.get('expected'))}"
        colour = SEVERITY_COLOURS.get(str(r.get("severity")), "#e2e8f0")
        why = html.escape(str(r.get("explanation") or ""))
        cells = [r["ds"], r["metric"], where, r.get("top_cause") or "", r.get("cause_kind") or "",
                 r.get("severity") or "", move]
        body.append(f'<tr style="border-left:6px solid {colour}">'
                    + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                    + f"<td><details><summary>explain</summary>{why}</details></td></tr>")
    return f'<table class="data alerts"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _strategy_chart(data: DashboardData, chart) -> str | None:
    """Precision and recall of each strategy from the daily run's hits, judged by the decisions made on them; the
    latest weekly backtest below when there is one."""
    import plotly.graph_objects as go

    if data.strategies is None or data.strategies.empty:
        return None
    s = data.strategies.sort_values("strategy_id")
    fig = go.Figure([
        go.Bar(name="precision", x=s["strategy_id"], y=s["precision"], marker_color="#2b6cb0"),
        go.Bar(name="recall", x=s["strategy_id"], y=s["recall"], marker_color="#38a169"),
    ])
    fig.update_layout(barmode="group", height=320, yaxis={"range": [0, 1]}, margin={"t": 20})
    text = ("<p>From the daily hits of the last 28 days: precision = hit accounts confirmed as violators over those "
            "a decision was made on after the hit; recall = confirmed hit accounts over every account confirmed "
            "in the window.</p>")
    out = text + chart(fig) + _table(s)
    if data.backtest is not None and not data.backtest.empty:
        out += "<h3>Latest weekly backtest</h3>" + _table(data.backtest.sort_values("strategy_id"))
    return out


def _score_chart(data: DashboardData, chart) -> str | None:
    """Share of accounts per score bin, today and a week earlier, on a log axis (most accounts sit in the first
    bin), with the risk tiers' lower bounds marked."""
    import plotly.graph_objects as go

    if data.score_hist is None or data.score_hist.empty:
        return None
    h = data.score_hist
    fig = go.Figure([
        go.Bar(name="a week earlier", x=h["bin"].astype(float), y=h["share_reference"], marker_color="#a0aec0"),
        go.Bar(name=f"{data.ds}", x=h["bin"].astype(float), y=h["share_today"], marker_color="#2b6cb0"),
    ])
    for tier, floor in sorted(data.tiers.items(), key=lambda kv: kv[1]):
        fig.add_vline(x=floor, line_dash="dash", line_color="#e53e3e", annotation_text=tier,
                      annotation_position="top")
    fig.update_layout(barmode="group", height=320, xaxis={"title": "score (bin start)", "range": [-0.03, 1.0]},
                      yaxis={"title": "share of accounts (log)", "type": "log"}, margin={"t": 30})
    psi = "" if data.psi is None else f"<p>Population stability index vs the reference day: <b>{data.psi:.3f}</b></p>"
    return psi + chart(fig)


def _health(data: DashboardData) -> str | None:
    """Each step's latest run of the day, what was ingested for it and the latest data-quality checks."""
    if data.health is None:
        return None
    out = ["<h3>Steps</h3>", _frame_table(data.health["steps"], "No step recorded for this day.")]
    if data.health.get("ingest") is not None:
        out += ["<h3>Ingested for the day</h3>", _frame_table(data.health["ingest"], "No landed file covers this day.")]
    if data.health.get("quality") is not None:
        out += ["<h3>Data-quality checks of the latest ingest (highest first)</h3>",
                _frame_table(data.health["quality"], "No check recorded.")]
    return "".join(out)


def _frame_table(df: pd.DataFrame | None, empty: str, rows: int | None = None) -> str | None:
    """A small frame as a table (its first `rows`), `empty` when it has none, None when its table is missing."""
    if df is None:
        return None
    if df.empty:
        return f"<p>{html.escape(empty)}</p>"
    return _table(df.head(rows) if rows else df)


def _table(df: pd.DataFrame, colour_col: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for _, row in df.iterrows():
        style = ""
        if colour_col and str(row.get(colour_col)) in SEVERITY_COLOURS:
            style = f' style="border-left:6px solid {SEVERITY_COLOURS[str(row[colour_col])]}"'
        cells = "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row.tolist())
        body.append(f"<tr{style}>{cells}</tr>")
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _fmt(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN: no value
            return ""
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def _section(title: str, body: str | None, note: str | None, key: str) -> str:
    content = body if body is not None else f'<p class="na">Not available: {html.escape(note or "no data yet")}</p>'
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>'


def _header(data: DashboardData) -> str:
    n_alerts = 0 if data.alerts is None else int((data.alerts["ds"] == data.ds).sum())
    return (f'<header><h1>Creator ecosystem governance: {html.escape(data.ds)}</h1>'
            f'<p id="summary">{n_alerts} alert{"" if n_alerts == 1 else "s"} today</p></header>')


def _page(ds: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Governance dashboard {html.escape(ds)}</title>
<style>
body {{ font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 24px; color: #1a202c; }}
header h1 {{ margin: 0 0 4px 0; font-size: 24px; }}
section {{ margin-top: 28px; }}
h2 {{ font-size: 18px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; }}
table.data {{ border-collapse: collapse; font-size: 13px; margin-top: 8px; }}
table.data th, table.data td {{ border: 1px solid #e2e8f0; padding: 4px 8px; text-align: left; vertical-align: top; }}
table.data th {{ background: #f7fafc; }}
.na {{ color: #718096; font-style: italic; }}
.legend {{ color: #4a5568; font-size: 13px; }}
h3 {{ font-size: 15px; margin: 16px 0 4px 0; }}
details summary {{ cursor: pointer; color: #2b6cb0; }}
</style></head>
<body>
{body}
</body></html>
"""
