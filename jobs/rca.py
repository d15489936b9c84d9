"""`govern rca --input FILE [FILE ...] --dims D1,D2,... --value-col V --forecast-col F --output CSV`: the root
cause of one move per input file, over combinations of dimension values (pandas, no Spark).

Each input (CSV, or .csv.gz and other compressions pandas infers from the name) holds one row per leaf of the
dimensions with the observed value and its forecast; for a ratio metric add `--denominator-col N
--denominator-forecast-col G` (value = sum(V) / sum(N)). The search and its settings (alerts.rca in
conf/base/alerts.yaml) are in models/monitoring/localize.py. The output has one row per cause: `input` (the
path exactly as given), `rank` (1 = largest share of the move), `cause` (`d1=v1&d2=v2`, dimensions in --dims
order), `explanatory_power`, then share_of_move, observed, expected, relative_change, direction, layer and
significance. An input whose move has no localised cause has no row.
"""

from __future__ import annotations

import argparse

import pandas as pd

from creator_governance.jobargs import UsageError, config_of, job_parser
from creator_governance.logs import setup_logging
from creator_governance.models.monitoring.localize import COLUMNS, localize

OUTPUT = ("input", "rank", *COLUMNS)


def parser() -> argparse.ArgumentParser:
    parser = job_parser("govern rca", "Localise the root cause of one move per leaf-table file.", dates=False,
                        lakehouse=False)
    parser.add_argument("--input", nargs="+", required=True,
                        help="CSV files (also .csv.gz), one row per leaf of the dimensions; one move each")
    parser.add_argument("--dims", required=True,
                        help="comma-separated dimension columns, in the order causes are written")
    parser.add_argument("--value-col", required=True, help="observed value (the numerator of a ratio)")
    parser.add_argument("--forecast-col", required=True, help="forecast of the value")
    parser.add_argument("--denominator-col", help="denominator of a ratio metric (sum(value) / sum(denominator))")
    parser.add_argument("--denominator-forecast-col", help="forecast of the denominator (with --denominator-col)")
    parser.add_argument("--output", required=True, help="CSV to write: input, rank, cause, explanatory_power, ...")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def dims_of(text: str) -> list[str]:
    """The --dims list, or a UsageError naming what is wrong with it."""
    dims = [d.strip() for d in text.split(",")]
    if not all(dims):
        raise UsageError(f"--dims {text!r}: an empty dimension name")
    if len(set(dims)) < len(dims):
        raise UsageError(f"--dims {text!r}: a dimension is named twice")
    return dims


def read_leaves(path: str) -> pd.DataFrame:
    """One input file as a frame, or a UsageError naming it."""
    try:
        return pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UsageError(f"--input {path}: cannot read it as CSV ({exc})") from None


def require_columns(leaves: pd.DataFrame, path: str, named: list[tuple[str, str | None]]) -> None:
    """Every column named by an option exists in the file, or a UsageError naming the file and the column."""
    for option, column in named:
        if column is not None and column not in leaves.columns:
            raise UsageError(f"--input {path}: no column {column!r} (named by {option}; columns: "
                             f"{', '.join(map(str, leaves.columns))})")


def run(inputs: list[str], *, params, dims: list[str], value_col: str, forecast_col: str,
        denominator_col: str | None = None, denominator_forecast_col: str | None = None) -> pd.DataFrame:
    """The causes of every input, one row each (OUTPUT columns); `params` is the alerts.rca section."""
    if (denominator_col is None) != (denominator_forecast_col is None):
        raise UsageError("--denominator-col and --denominator-forecast-col go together")
    named = [("--dims", dim) for dim in dims] + [
        ("--value-col", value_col), ("--forecast-col", forecast_col), ("--denominator-col", denominator_col),
        ("--denominator-forecast-col", denominator_forecast_col)]
    parts = []
    for path in inputs:
        leaves = read_leaves(path)
        require_columns(leaves, path, named)
        causes = localize(leaves, dims=dims, value_col=value_col, forecast_col=forecast_col,
                          denominator_col=denominator_col, denominator_forecast_col=denominator_forecast_col,
                          **params.search())
        parts.append(causes.assign(input=path, rank=range(1, len(causes) + 1)))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
    return out[list(OUTPUT)] if out is not None else pd.DataFrame(columns=list(OUTPUT))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    params = config_of(args).alerts.rca
    out = run(args.input, params=params, dims=dims_of(args.dims), value_col=args.value_col,
              forecast_col=args.forecast_col, denominator_col=args.denominator_col,
              denominator_forecast_col=args.denominator_forecast_col)
    out.to_csv(args.output, index=False)
    explained = out["input"].nunique()
    print(f"rca: {len(args.input):,} inputs, {len(out):,} causes ({explained:,} inputs with a localised cause, "
          f"{len(args.input) - explained:,} without) -> {args.output}")
    return 0
