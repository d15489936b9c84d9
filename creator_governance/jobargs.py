"""Arguments every job shares (--conf, --env, --lakehouse, --ds / --from --to) and their validation."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from creator_governance.config import ConfigError, load_config
from creator_governance.settings import Config


class UsageError(ValueError):
    """A bad command-line value; the message names the option."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit 2 with usage; the CLI wants a one-line reason
        raise UsageError(f"{self.prog}: {message}")


def job_parser(prog: str, description: str, *, dates: bool = True, lakehouse: bool = True) -> argparse.ArgumentParser:
    """A parser with the shared options; `dates` adds --ds or --from/--to."""
    parser = _Parser(prog=prog, description=description)
    parser.add_argument("--conf", help="YAML overlay on conf/base and conf/<env> (sections as top-level keys)")
    parser.add_argument("--env", help="config environment folder under conf/ (default: $GOVERN_ENV or local)")
    if lakehouse:
        parser.add_argument("--lakehouse", help="root folder of all tables (overrides tables.lakehouse)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    if dates:
        parser.add_argument("--ds", help="the day to process, YYYY-MM-DD")
        parser.add_argument("--from", dest="ds_from", help="first day of a range, YYYY-MM-DD")
        parser.add_argument("--to", dest="ds_to", help="last day of a range, YYYY-MM-DD (inclusive)")
    return parser


def parse_date(value: str, option: str) -> dt.date:
    """A YYYY-MM-DD value, or a `UsageError` naming the option."""
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise UsageError(f"{option} {value!r}: expected a date YYYY-MM-DD") from None


def days_of(args: argparse.Namespace, *, required: bool = True) -> list[dt.date]:
    """The days named by --ds or --from/--to, in order."""
    if args.ds and (args.ds_from or args.ds_to):
        raise UsageError("give either --ds or --from/--to, not both")
    if args.ds:
        return [parse_date(args.ds, "--ds")]
    if args.ds_from or args.ds_to:
        if not (args.ds_from and args.ds_to):
            raise UsageError("--from and --to go together")
        start, end = parse_date(args.ds_from, "--from"), parse_date(args.ds_to, "--to")
        if end < start:
            raise UsageError(f"--to {end} is before --from {start}")
        return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if required:
        raise UsageError("which day? give --ds YYYY-MM-DD or --from A --to B")
    return []


def config_of(args: argparse.Namespace, extra: dict[str, Any] | None = None) -> Config:
    """The validated config for these arguments: layers, then --conf, then --lakehouse and `extra`."""
    overrides: dict[str, Any] = dict(extra or {})
    if getattr(args, "lakehouse", None):
        overrides.setdefault("tables", {})["lakehouse"] = args.lakehouse
    return load_config(conf_file=args.conf, env=args.env, overrides=overrides or None)


__all__ = ["ConfigError", "UsageError", "config_of", "days_of", "job_parser", "parse_date"]
