"""`govern demo`: simulate a small creator ecosystem, run the whole pipeline on it, say where everything is.

The embedded default of the platform: no input needed. The landing zone goes beside the lakehouse
(`<lakehouse>/../landing`), the pipeline runs in backfill mode over the simulated days, the planted A/B experiment
is analysed (`govern experiment`), then the dashboard is rendered with it, and the summary points at the
tables, the dashboard, the experiment report and the top alerts and syndicates.
"""

from __future__ import annotations

import datetime as dt
import os

from pyspark.sql import functions as F
from rich.console import Console
from rich.table import Table

from creator_governance.jobargs import config_of, job_parser
from creator_governance.jobs import run as pipeline
from creator_governance.jobs import simulate
from creator_governance.runtime import JobContext, open_context

DEFAULT_LAKEHOUSE = os.path.join("demo", "lakehouse")
# conf/demo: more reviews in the simulator and a short label horizon, so a few weeks of history train a model.
DEFAULT_ENV = "demo"


def parser():
    parser = job_parser("govern demo", "Simulate an ecosystem and run the whole pipeline on it.", dates=False)
    parser.add_argument("--accounts", type=int, default=3000, help="accounts to simulate (default 3000)")
    parser.add_argument("--days", type=int, default=28, help="days to simulate (default 28)")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    return parser


def parse_args(argv: list[str] | None):
    args = parser().parse_args(argv)
    args.lakehouse = args.lakehouse or DEFAULT_LAKEHOUSE
    args.env = args.env or DEFAULT_ENV
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = config_of(args)
    lakehouse = os.path.abspath(cfg.tables.lakehouse)
    landing = os.path.join(os.path.dirname(lakehouse), "landing")
    shared = ["--lakehouse", lakehouse] + (["--conf", args.conf] if args.conf else []) + (
        ["--env", args.env] if args.env else [])
    start = cfg.simulator.start
    sim_argv = ["--out", landing, "--accounts", str(args.accounts), "--days", str(args.days), "--seed",
                str(args.seed), "--start", start.isoformat()] + shared[2:]
    if not os.path.exists(os.path.join(landing, "manifest.json")):
        simulate.main(sim_argv)
    pipeline.step_logging(args.verbose, args.log_format)
    days = [start + dt.timedelta(days=i) for i in range(args.days)]
    ctx = open_context(cfg)
    # The dashboard last, once, so that its experiments panel shows the planted experiment analysed before it.
    pipeline.run(ctx, pipeline.Plan(days=days, mode="backfill", landing=landing,
                                    only=pipeline.STEP_NAMES - {"dashboard"}))
    analysed = planted_experiment(ctx, start, days[-1], args.days)
    pipeline.run(ctx, pipeline.Plan(days=days[-1:], mode="daily", only={"dashboard"}))
    report(ctx, lakehouse, landing, days[-1], analysed)
    return 0


def planted_experiment(ctx: JobContext, start: dt.date, last: dt.date, days: int) -> dict | None:
    """The simulator's planted A/B test analysed from its day to the last day (before the dashboard, whose
    experiments panel shows it); None when no experiment was planted."""
    from creator_governance.logs import say
    from creator_governance.jobs import experiment

    x = ctx.cfg.simulator.experiment
    if not (x.enabled and 0 <= x.day < days and ctx.tables.exists("assignments")):
        return None
    say(f"[bold]experiment {x.name}[/bold] …")
    out = experiment.run(ctx, experiment=x.name, ds_from=start + dt.timedelta(days=x.day), ds_to=last)
    return {"name": x.name, **out}


def report(ctx: JobContext, lakehouse: str, landing: str, last: dt.date, analysed: dict | None = None) -> None:
    """Where things are, and the headlines of the last day."""
    console = Console(width=160)
    console.print(f"\n[bold]landing zone[/bold]  {landing}  (ground truth in {landing}_truth)")
    console.print(f"[bold]lakehouse[/bold]     {lakehouse}  ({len(ctx.tables.names())} Delta tables; "
                  f"`govern tables --lakehouse {lakehouse}`)")
    console.print(f"[bold]dashboard[/bold]     {os.path.join(ctx.tables.folder('_dashboard'), 'latest.html')}")
    if analysed:
        console.print(f"[bold]experiment[/bold]    {analysed['name']}: {analysed['verdict']}  ({analysed['path']})")
    if ctx.tables.exists("alerts"):
        alerts = (ctx.tables.read("alerts").filter(F.col("status") == "new")
                  .orderBy(F.col("score").desc_nulls_last()).limit(5)
                  .select("ds", "metric", "dimension", "dimension_value", "severity", "explanation").collect())
        _table(console, "top alerts", alerts)
    if ctx.tables.exists("syndicates"):
        syndicates = ctx.tables.read("syndicates", ds=last)
        order = [F.col(c).desc() for c in ("size", "mean_score") if c in syndicates.columns]
        shown = [c for c in syndicates.columns if c not in ("members", "ds")][:6]
        _table(console, f"top syndicates on {last}", syndicates.orderBy(*order).limit(5).select(*shown).collect())


def _table(console: Console, title: str, rows) -> None:
    if not rows:
        console.print(f"{title}: none")
        return
    out = Table(title=title, title_justify="left")
    for column in rows[0].__fields__:
        out.add_column(column)
    for row in rows:
        out.add_row(*[cell(v) for v in row])
    console.print(out)


def cell(value) -> str:
    """A value as a person reads it: decimals to 3 places, counts with thousands separators, lists as words."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return str(value)
