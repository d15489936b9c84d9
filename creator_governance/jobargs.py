"""Arguments every job shares (--conf, --env, --lakehouse, --ds / --from --to, --as-of) and their validation.

A day is `YYYY-MM-DD` or relative to `--as-of` (default: the current UTC date): `today`, `yesterday` or
`today-N`. The parser resolves relative days once, so every job sees (and `pipeline_runs` records) a
`YYYY-MM-DD`; a scheduler passes its logical date as `--as-of` so a retry after midnight processes the same day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import Any

from creator_governance.config import ConfigError, load_config
from creator_governance.settings import Config


class UsageError(ValueError):
    """A bad command-line value; the message names the option."""


DAY_OPTIONS = (("ds", "--ds"), ("ds_from", "--from"), ("ds_to", "--to"))
DAY_FORMS = "YYYY-MM-DD, today, yesterday or today-N"
BLANK_IS_UNSET = ("conf", "env", "lakehouse", "landing", "as_of", "catalog", "schema")
_RELATIVE = re.compile(r"today-(\d{1,5})")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit 2 with usage; the CLI wants a one-line reason
        raise UsageError(f"{self.prog}: {message}")

    def parse_known_args(self, args=None, namespace=None):
        parsed, rest = super().parse_known_args(args, namespace)
        for attr in BLANK_IS_UNSET:  # a scheduler passes an empty job parameter as "": the option was not given
            if isinstance(getattr(parsed, attr, None), str) and not getattr(parsed, attr).strip():
                setattr(parsed, attr, None)
        if hasattr(parsed, "ds"):  # a parser with day options: resolve relative days against --as-of, once
            anchor = as_of_date(getattr(parsed, "as_of", None))
            for attr, option in DAY_OPTIONS:
                value = getattr(parsed, attr, None)
                if value is not None:
                    setattr(parsed, attr, resolve_day(value, option, anchor).isoformat())
        return parsed, rest


def job_parser(prog: str, description: str, *, dates: bool = True, lakehouse: bool = True,
               as_of_help: str = "") -> argparse.ArgumentParser:
    """A parser with the shared options; `dates` adds --ds or --from/--to and --as-of (`as_of_help` says what
    else the job does with it)."""
    parser = _Parser(prog=prog, description=description)
    parser.add_argument("--conf", help="YAML overlay on conf/base and conf/<env> (sections as top-level keys)")
    parser.add_argument("--env", help="config environment folder under conf/ (default: $GOVERN_ENV or local)")
    if lakehouse:
        parser.add_argument("--lakehouse", help="root folder of all tables (overrides tables.lakehouse)")
        parser.add_argument("--catalog", help="catalog the tables are registered in (overrides tables.catalog; "
                                              "delta-spark engine)")
        parser.add_argument("--schema", help="schema the tables are registered in (overrides tables.schema; "
                                             "delta-spark engine)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging, and Spark's own log lines")
    parser.add_argument("--log-format", choices=("text", "json"),
                        help="log lines as text, or one JSON object per line with the run id "
                             "(default: $GOVERN_LOG_FORMAT or text)")
    if dates:
        parser.add_argument("--ds", help=f"the day to process: {DAY_FORMS}")
        parser.add_argument("--from", dest="ds_from", help=f"first day of a range: {DAY_FORMS}")
        parser.add_argument("--to", dest="ds_to", help=f"last day of a range (inclusive): {DAY_FORMS}")
        parser.add_argument("--as-of", dest="as_of",
                            help="the date relative days count from, YYYY-MM-DD (or an ISO-8601 timestamp: its UTC "
                                 "date); a scheduler passes its logical run date (default: the current UTC date)"
                                 + (f"; {as_of_help}" if as_of_help else ""))
    return parser


def as_of_date(value: str | None) -> dt.date:
    """The UTC date of --as-of (a date or an ISO-8601 timestamp); today's UTC date when not given."""
    if value is None:
        return dt.datetime.now(dt.timezone.utc).date()
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise UsageError(f"--as-of {value!r}: expected a date YYYY-MM-DD or an ISO-8601 timestamp") from None
    return stamp.astimezone(dt.timezone.utc).date() if stamp.tzinfo else stamp.date()


def resolve_day(value: str, option: str, as_of: dt.date) -> dt.date:
    """`YYYY-MM-DD`, `today`, `yesterday` or `today-N` (N days before `as_of`), or a `UsageError` naming the
    option and the value."""
    text = value.strip() if isinstance(value, str) else value
    if text == "today":
        return as_of
    if text == "yesterday":
        return as_of - dt.timedelta(days=1)
    relative = _RELATIVE.fullmatch(text) if isinstance(text, str) else None
    if relative:
        return as_of - dt.timedelta(days=int(relative.group(1)))
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise UsageError(f"{option} {value!r}: expected a date {DAY_FORMS}") from None


def parse_date(value: str, option: str) -> dt.date:
    """A YYYY-MM-DD value, or a `UsageError` naming the option."""
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise UsageError(f"{option} {value!r}: expected a date YYYY-MM-DD") from None


def days_of(args: argparse.Namespace, *, required: bool = True) -> list[dt.date]:
    """The days named by --ds or --from/--to (relative days against --as-of), in order."""
    if args.ds and (args.ds_from or args.ds_to):
        raise UsageError("give either --ds or --from/--to, not both")
    anchor = as_of_date(getattr(args, "as_of", None)) if _any_relative(args) else None
    if args.ds:
        return [resolve_day(args.ds, "--ds", anchor)]
    if args.ds_from or args.ds_to:
        if not (args.ds_from and args.ds_to):
            raise UsageError("--from and --to go together")
        start, end = resolve_day(args.ds_from, "--from", anchor), resolve_day(args.ds_to, "--to", anchor)
        if end < start:
            raise UsageError(f"--to {end} is before --from {start}")
        return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if required:
        raise UsageError("which day? give --ds YYYY-MM-DD or --from A --to B")
    return []


def _any_relative(args: argparse.Namespace) -> bool:
    return any(getattr(args, attr, None) and not str(getattr(args, attr))[:1].isdigit() for attr, _ in DAY_OPTIONS)


def config_of(args: argparse.Namespace, extra: dict[str, Any] | None = None) -> Config:
    """The validated config for these arguments: layers, then --conf, then --lakehouse, --catalog, --schema and
    `extra`."""
    overrides: dict[str, Any] = dict(extra or {})
    for option in ("lakehouse", "catalog", "schema"):
        if getattr(args, option, None):
            overrides.setdefault("tables", {})[option] = getattr(args, option)
    return load_config(conf_file=args.conf, env=args.env, overrides=overrides or None)


__all__ = ["ConfigError", "UsageError", "as_of_date", "config_of", "days_of", "job_parser", "parse_date", "resolve_day"]
