"""`govern tables`: each table's name, path, engine, latest version and row count."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from creator_governance.jobargs import config_of, job_parser
from creator_governance.logs import setup_logging
from creator_governance.runtime import JobContext, open_context


def parser():
    parser = job_parser("govern tables", "List every table of the lakehouse.", dates=False)
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def run(ctx: JobContext) -> list[dict]:
    """One dict per table (row counts come from the Delta log, no data scan)."""
    return [info.__dict__ | {"partition_by": list(info.partition_by)} for info in ctx.tables.info()]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    rows = run(open_context(config_of(args)))
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    out = Table(title=None)
    for column in ("name", "path", "engine", "version", "rows", "partition_by"):
        out.add_column(column, justify="right" if column in ("version", "rows") else "left")
    for row in rows:
        out.add_row(*[", ".join(row[c]) if c == "partition_by" else str(row[c]) for c in
                      ("name", "path", "engine", "version", "rows", "partition_by")])
    Console(width=200).print(out)
    print(f"{len(rows)} tables")
    return 0
