"""One log format per process: `text` (people at a terminal) or `json` (one object per line, for a scheduler's
log collector), chosen by `--log-format` or `$GOVERN_LOG_FORMAT`.

Every record carries the context of the work it belongs to (`run_id`, `step`, `ds`: `log_context`), so in JSON
each line of a `govern run` names its run. Progress lines of the pipeline go through `say`: rich text on a
terminal, an INFO record in JSON mode (never colour codes or a progress display in JSON); `progress` shows a
spinner while a long step runs, on a terminal in text mode only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_KEYS = ("run_id", "step", "ds")

_context: dict[str, str] = {}
_format = "text"


class _WithContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key in CONTEXT_KEYS:
            if not hasattr(record, key):
                setattr(record, key, _context.get(key))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts (UTC, ms), level, logger, message, the context keys set, error."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        out.update({key: getattr(record, key) for key in CONTEXT_KEYS if getattr(record, key, None)})
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def log_format(requested: str | None = None) -> str:
    """The format asked for (`--log-format`), else $GOVERN_LOG_FORMAT, else text; a clear error otherwise."""
    value = (requested or os.environ.get("GOVERN_LOG_FORMAT") or "text").lower()
    if value not in LOG_FORMATS:
        raise ValueError(f"log format '{value}' is not one of {', '.join(LOG_FORMATS)} "
                         "(--log-format or GOVERN_LOG_FORMAT)")
    return value


def setup_logging(verbose: bool = False, fmt: str | None = None, *, level: int = logging.INFO) -> None:
    """Log records of every logger at `level` (DEBUG with `verbose`) to stderr in the chosen format (replacing
    earlier handlers: idempotent); py4j and Spark's Python chatter kept down."""
    global _format
    _format = log_format(fmt)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if _format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(_WithContext())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.DEBUG if verbose else level)
    for chatty in ("py4j", "XGBoost-PySpark"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def fresh_run_id() -> str:
    """A new run id: YYYYmmddTHHMMSS-xxxxxx (UTC)."""
    import uuid

    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def current_run_id() -> str | None:
    """The run id of the log context: the CLI sets one per `govern` invocation, so every line carries it."""
    return _context.get("run_id")


def json_mode() -> bool:
    return _format == "json"


@contextmanager
def log_context(**values: str | None) -> Iterator[None]:
    """Records logged inside carry `values` (run_id, step, ds); the previous context is restored after."""
    before = dict(_context)
    _context.update({key: str(value) for key, value in values.items() if value is not None})
    try:
        yield
    finally:
        _context.clear()
        _context.update(before)


def say(markup: str, plain: str | None = None, *, level: int = logging.INFO) -> None:
    """A progress line of the pipeline: `markup` (rich) on stderr in text mode; `plain` (default: `markup`
    without its tags) as a record of the `govern` logger in JSON mode."""
    if json_mode():
        from rich.text import Text

        logging.getLogger("govern").log(level, plain if plain is not None else Text.from_markup(markup).plain)
        return
    from rich.console import Console

    Console(stderr=True, highlight=False).print(markup)


@contextmanager
def progress(markup: str) -> Iterator[None]:
    """While the work inside runs: a spinner with `markup` on a terminal in text mode; elsewhere (a log file, a
    scheduler, JSON) `markup` said once, as a plain line."""
    if json_mode() or not sys.stderr.isatty():
        say(markup)
        yield
        return
    from rich.console import Console

    with Console(stderr=True, highlight=False).status(markup):
        yield
