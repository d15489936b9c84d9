"""`govern sql "QUERY"`: Spark SQL with every table registered as a view under its own name."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from creator_governance.bi import register_all
from creator_governance.jobargs import config_of, job_parser
from creator_governance.logs import setup_logging
from creator_governance.runtime import JobContext, open_context


def parser():
    parser = job_parser("govern sql", "Run a Spark SQL query over the lakehouse tables.", dates=False)
    parser.add_argument("query", help="the SQL text; tables are views named after themselves")
    parser.add_argument("--limit", type=int, default=100, help="rows to print at most (default 100)")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def run(ctx: JobContext, query: str):
    """Register the tables and BI views and return the query's DataFrame."""
    register_all(ctx.spark, ctx.tables)
    return ctx.spark.sql(query)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    df = run(open_context(config_of(args)), args.query)
    rows = df.limit(args.limit + 1).collect()
    out = Table()
    for column in df.columns:
        out.add_column(column)
    for row in rows[: args.limit]:
        out.add_row(*["NULL" if v is None else str(v) for v in row])
    Console(width=200).print(out)
    shown = min(len(rows), args.limit)
    print(f"{shown} rows" + (f" (more not shown; --limit {args.limit})" if len(rows) > args.limit else ""))
    return 0
