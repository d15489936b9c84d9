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
    alerts: pd.DataFrame | None = None  # ds, metric, dimension, dimension_value, observed, expected, severity, explanation
    strategies: pd.DataFrame | None = None  # strategy_id, precision, recall, hits, fp_good
    score_hist: pd.DataFrame | None = None  # bin, share_today, share_reference
    psi: float | None = None
    syndicates: pd.DataFrame | None = None  # syndicate_id, size, mean_score, shared_signals, suggested_action
    queue: pd.DataFrame | None = None  # rank, entity_kind, entity_id, priority, suggested_action, evidence
    experiments: pd.DataFrame | None = None  # experiment, metric, variant, rel_lift [lo, hi], p_adjusted, flags
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

    parts.append(_section("Metric trends", _metric_charts(data, chart), data.notes.get("metrics")))
    parts.append(_section("Alerts and root causes", _alert_table(data), data.notes.get("alerts")))
    parts.append(_section("Review queue: the top 20", _frame_table(data.queue, "The queue is empty.", 20),
                          data.notes.get("queue")))
    parts.append(_section("Strategy precision and recall", _strategy_chart(data, chart), data.notes.get("strategies")))
    parts.append(_section("Score distribution and drift", _score_chart(data, chart), data.notes.get("scores")))
    parts.append(_section("Top syndicates", _frame_table(data.syndicates, "No syndicates found.", 20),
                          data.notes.get("syndicates")))
    parts.append(_section("Experiments", _frame_table(data.experiments, "No experiment analysed yet."),
                          data.notes.get("experiments")))
    return _page(data.ds, "\n".join(parts))


def _metric_charts(data: DashboardData, chart) -> str | None:
    import plotly.graph_objects as go

    if data.metrics is None or data.metrics.empty:
        return None
    alerts = data.alerts if data.alerts is not None else pd.DataFrame(columns=["ds", "metric", "dimension"])
    blocks = []
    for metric, series in data.metrics.sort_values("ds").groupby("metric", sort=True):
        fig = go.Figure(go.Scatter(x=series["ds"], y=series["value"], mode="lines+markers", name=metric,
                                   line={"color": "#2b6cb0"}))
        hits = alerts[(alerts["metric"] == metric) & (alerts["dimension"] == "all")]
        if not hits.empty:
            marked = series[series["ds"].isin(set(hits["ds"]))]
            fig.add_trace(go.Scatter(x=marked["ds"], y=marked["value"], mode="markers", name="alert",
                                     marker={"color": "#e31a1c", "size": 12, "symbol": "x"}))
        fig.update_layout(title=metric, height=260, margin={"l": 40, "r": 10, "t": 40, "b": 30}, showlegend=False)
        blocks.append(chart(fig))
    return '<div class="grid">' + "".join(blocks) + "</div>"


def _alert_table(data: DashboardData) -> str | None:
    if data.alerts is None:
        return None
    if data.alerts.empty:
        return "<p>No alerts in the window.</p>"
    rows = data.alerts.sort_values(["ds", "severity"], ascending=[False, True]).head(50)
    columns = [c for c in ("ds", "metric", "dimension", "dimension_value", "observed", "expected", "severity",
                           "explanation") if c in rows.columns]
    return _table(rows[columns], colour_col="severity")


def _strategy_chart(data: DashboardData, chart) -> str | None:
    import plotly.graph_objects as go

    if data.strategies is None or data.strategies.empty:
        return None
    s = data.strategies.sort_values("strategy_id")
    fig = go.Figure([
        go.Bar(name="precision", x=s["strategy_id"], y=s["precision"], marker_color="#2b6cb0"),
        go.Bar(name="recall", x=s["strategy_id"], y=s["recall"], marker_color="#38a169"),
    ])
    fig.update_layout(barmode="group", height=320, yaxis={"range": [0, 1]}, margin={"t": 20})
    return chart(fig) + _table(s)


def _score_chart(data: DashboardData, chart) -> str | None:
    import plotly.graph_objects as go

    if data.score_hist is None or data.score_hist.empty:
        return None
    h = data.score_hist
    fig = go.Figure([
        go.Bar(name="reference", x=h["bin"], y=h["share_reference"], marker_color="#a0aec0"),
        go.Bar(name=f"{data.ds}", x=h["bin"], y=h["share_today"], marker_color="#2b6cb0"),
    ])
    fig.update_layout(barmode="group", height=320, xaxis={"title": "score"}, yaxis={"title": "share of accounts"},
                      margin={"t": 20})
    psi = "" if data.psi is None else f"<p>Population stability index vs the reference day: <b>{data.psi:.4f}</b></p>"
    return psi + chart(fig)


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
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def _section(title: str, body: str | None, note: str | None) -> str:
    content = body if body is not None else f'<p class="na">Not available: {html.escape(note or "no data yet")}</p>'
    return f'<section><h2>{html.escape(title)}</h2>{content}</section>'


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
</style></head>
<body>
{body}
</body></html>
"""
