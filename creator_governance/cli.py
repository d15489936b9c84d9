"""`govern`: one console command whose subcommands are the jobs of the registry (`jobs.registry.JOBS`).

Each subcommand hands its arguments to the job's `main(argv)` (which owns `--help` and validation), so the CLI,
spark-submit and notebooks run exactly the same entry points. Failures print one line and exit 1 (75 when
another job holds the lakehouse lock past `tables.lock_timeout_s`). A job that writes tables (`Job.writes`) runs
in a writer scope: its `open_context` takes the lakehouse lock (creator_governance.lock).

The top layer: it imports the jobs; nothing else in creator_governance does (pyproject's import contracts).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback

import typer

from creator_governance import __version__
from creator_governance.jobs.registry import JOB_BY_NAME, JOBS
from creator_governance.lock import LakehouseBusy, writer_scope
from creator_governance.logs import fresh_run_id, json_mode, log_context
from creator_governance.reasons import one_line
# Exit code when another job held the lakehouse lock too long (EX_TEMPFAIL: try again later).
EXIT_BUSY = 75
# Provided by the Spark runtime, or by the extra `creator-governance[spark]` (pyproject.toml) for local use.
SPARK_PROVIDED = {"pyspark", "py4j", "delta", "xgboost"}
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def dispatch(command: str, argv: list[str]) -> int:
    """Run one registered job; return its exit code, printing a one-line reason on failure."""
    job = JOB_BY_NAME.get(command)
    if job is None:
        print(f"govern: unknown command '{command}' (see govern --help)", file=sys.stderr)
        return 2
    verbose = "-v" in argv or "--verbose" in argv
    scope = writer_scope(command) if job.writes else contextlib.nullcontext()
    # one run id per invocation, on every log line (JSON mode) and in pipeline_runs, the error line included
    with log_context(run_id=fresh_run_id()):
        return _dispatch(command, job, argv, scope, verbose)


def _dispatch(command: str, job, argv: list[str], scope, verbose: bool) -> int:
    try:
        with scope:
            return int(job.main(argv) or 0)
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
        line = f"govern {command}: error: {_missing_spark(exc) or one_line(exc)}"
        if json_mode():
            logging.getLogger("govern").error(line)
        else:
            print(line, file=sys.stderr)
        return 1


def _missing_spark(exc: BaseException) -> str | None:
    """The reason when a job cannot import what a Spark runtime provides (the wheel does not require it)."""
    top = (getattr(exc, "name", None) or "").split(".")[0]
    if isinstance(exc, ModuleNotFoundError) and top in SPARK_PROVIDED:
        return f"needs {top}, which a Spark runtime provides: pip install 'creator-governance[spark]' for local use"
    return None


def build_app() -> typer.Typer:
    """The typer app with one pass-through command per registered job."""
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

    for job in JOBS:
        _register(app, job.name, job.description)
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
