"""`govern`: one console command whose subcommands are the jobs registered in `jobs.JOBS`.

Each subcommand hands its arguments to the job's own `main(argv)` (which owns `--help` and validation), so
the CLI, spark-submit and notebooks run exactly the same entry points. Failures print one line and exit 1
(75 when another job holds the lakehouse lock past `tables.lock_timeout_s`). Every command that changes
tables runs in a writer scope: its `open_context` takes the lakehouse lock (creator_governance.lock).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
import traceback

import typer

from creator_governance import __version__
from creator_governance.lock import LakehouseBusy, writer_scope

# Commands that change no table: they run beside a writer without the lakehouse lock (creator_governance.lock).
READ_ONLY = {"simulate", "tables", "sql", "detect", "rca", "serve-sql"}
# Exit code when another job held the lakehouse lock too long (EX_TEMPFAIL: try again later).
EXIT_BUSY = 75
# Packages whose exceptions may wrap a filesystem fault in their own words (Java, Rust).
FOREIGN_ERRORS = {"py4j", "pyspark", "deltalake"}
# Provided by the Spark runtime, or by the extra `creator-governance[spark]` (pyproject.toml) for local use.
SPARK_PROVIDED = {"pyspark", "py4j", "delta", "xgboost"}
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def registry():
    """The job registry (imported by name: the runtime package does not depend on application code)."""
    return importlib.import_module("jobs")


def dispatch(command: str, argv: list[str]) -> int:
    """Run one registered job; return its exit code, printing a one-line reason on failure."""
    jobs = registry()
    module = jobs.JOBS.get(command)
    if command not in jobs.JOBS:
        print(f"govern: unknown command '{command}' (see govern --help)", file=sys.stderr)
        return 2
    if module is None:
        print(f"govern {command}: not built yet (planned in issue #{jobs.PLANNED[command]})", file=sys.stderr)
        return 2
    verbose = "-v" in argv or "--verbose" in argv
    scope = writer_scope(command) if command not in READ_ONLY else contextlib.nullcontext()
    try:
        with scope:
            return int(importlib.import_module(module).main(argv) or 0)
    except SystemExit as exc:  # argparse --help
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print(f"govern {command}: interrupted", file=sys.stderr)
        return 130
    except LakehouseBusy as exc:
        print(f"govern {command}: error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except Exception as exc:  # noqa: BLE001 - the contract wants one line, not a traceback
        if verbose:
            traceback.print_exc()
        print(f"govern {command}: error: {_missing_spark(exc) or one_line(exc)}", file=sys.stderr)
        return 1


def _missing_spark(exc: BaseException) -> str | None:
    """The reason when a job cannot import what a Spark runtime provides (the wheel does not require it)."""
    top = (getattr(exc, "name", None) or "").split(".")[0]
    if isinstance(exc, ModuleNotFoundError) and top in SPARK_PROVIDED:
        return f"needs {top}, which a Spark runtime provides: pip install 'creator-governance[spark]' for local use"
    return None


def one_line(exc: BaseException) -> str:
    """The first meaningful line of an exception, with its type when that helps; a filesystem fault (disk
    full, read-only, not permitted, not a folder) as the path, the fault and what to do."""
    fault = _foreign_storage_fault(exc)
    if fault is not None:
        return f"{fault.path or 'a path'}: {fault.what} ({fault.code}); {fault.todo}, then re-run"
    text = str(exc).strip()
    name = type(exc).__name__
    if name in {"Py4JJavaError", "AnalysisException", "PySparkException"} or not text:
        first = next((line for line in text.splitlines() if line.strip()), name)
        return f"{name}: {first.strip()}"
    if "\n" in text and not text.startswith("config error"):
        text = text.splitlines()[0]
    return text


def _foreign_storage_fault(exc: BaseException):
    """The filesystem fault behind an OSError or a Spark, Py4J or delta-rs error; not behind our own errors,
    whose message already says what failed (the table layer's `StorageError`, a pipeline step's summary)."""
    from creator_governance.tables.errors import storage_fault

    module = type(exc).__module__.split(".")[0]
    if isinstance(exc, OSError) or module in FOREIGN_ERRORS:
        return storage_fault(exc)
    return None


def build_app() -> typer.Typer:
    """The typer app with one pass-through command per registered job."""
    jobs = registry()
    app = typer.Typer(
        name="govern",
        help="creator-governance: trust & safety and e-commerce governance jobs over Delta tables.",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
    )

    @app.callback(invoke_without_command=True)
    def _root(version: bool = typer.Option(False, "--version", help="print the version and exit")) -> None:
        if version:
            print(__version__)
            raise typer.Exit(0)

    for command, summary in jobs.SUMMARIES.items():
        suffix = "" if jobs.JOBS[command] else f" [planned, issue #{jobs.PLANNED[command]}]"
        _register(app, command, summary + suffix)
    return app


def _register(app: typer.Typer, command: str, summary: str) -> None:
    def handler(ctx: typer.Context) -> None:
        raise typer.Exit(dispatch(command, list(ctx.args)))

    handler.__doc__ = summary + f"  (govern {command} --help for its options)"
    app.command(name=command, context_settings=PASS_THROUGH, add_help_option=False)(handler)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    for chatty in ("py4j", "XGBoost-PySpark"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    build_app()(args=argv, prog_name="govern")


if __name__ == "__main__":
    main()
