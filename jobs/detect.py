"""`govern detect --input CSV --output CSV`: the metric anomaly detector on any time series (pandas, no Spark).

Options: `--time-col C`, `--value-col V`, `--series-col S` (many series in one file, each scored on its own),
`--kind count|ratio|value` (default: count when every value is a non-negative integer, ratio with
`--denominator-col`, else value), `--denominator-col N`, `--season N|auto|none`, `--threshold T`.

The sampling step is the median gap between consecutive timestamps of a series (sub-daily data finds its
daily cycle, daily data its weekly one). Irregular timestamps are scored in point order: every point is
one step, and the season is counted in median steps. Numeric time columns are positions, with no calendar
(seasons up to `max_season` points are searched). The output keeps every input column (rows ordered by
series, then time) and adds expected, lower, upper, score, is_anomaly and status (`new` on the first point of
an incident, `continuing` inside it, empty otherwise).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from creator_governance.jobargs import UsageError, config_of, job_parser
from creator_governance.logs import setup_logging
from creator_governance.models.monitoring.detector import detect

TIME_NAMES = ("timestamp", "ds", "date", "time", "datetime")
ADDED = ("expected", "lower", "upper", "score", "is_anomaly", "status")


def parser() -> argparse.ArgumentParser:
    parser = job_parser("govern detect", "Flag anomalies in CSV time series.", dates=False, lakehouse=False)
    parser.add_argument("--input", required=True, help="CSV file with a header row")
    parser.add_argument("--output", required=True, help="CSV file to write (input columns + detector columns)")
    parser.add_argument("--time-col", help="time column (default: timestamp/ds/date/time, else the first column)")
    parser.add_argument("--value-col", help="value column (default: value, else the first numeric column)")
    parser.add_argument("--series-col", help="column naming the series when the file holds several")
    parser.add_argument("--kind", choices=("count", "ratio", "value"),
                        help="noise model (default: count for non-negative integers, ratio with "
                             "--denominator-col, else value)")
    parser.add_argument("--denominator-col", help="denominator of a ratio series (value = numerator / denominator)")
    parser.add_argument("--season", default=None,
                        help="season length in points, 'auto' or 'none' (default: alerts.detector.season, else auto)")
    parser.add_argument("--threshold", type=float, help="score beyond which a point is outside (default from config)")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def pick_columns(df: pd.DataFrame, time_col: str | None, value_col: str | None) -> tuple[str, str]:
    """The time and value columns: given, or guessed by name and type."""
    if time_col is None:
        time_col = next((c for c in df.columns if str(c).lower() in TIME_NAMES), df.columns[0])
    if value_col is None:
        numeric = [c for c in df.columns if c != time_col and pd.api.types.is_numeric_dtype(df[c])]
        value_col = "value" if "value" in df.columns else (numeric[0] if numeric else None)
    for option, col in (("--time-col", time_col), ("--value-col", value_col)):
        _require(df, option, col)
    return time_col, value_col


def _require(df: pd.DataFrame, option: str, col: str | None) -> None:
    if col is None or col not in df.columns:
        raise UsageError(f"{option} {col!r}: no such column (columns: {', '.join(map(str, df.columns))})")


def season_of(text: str | None, configured: int | None) -> int | str | None:
    if text is None:
        return configured or "auto"
    if text.lower() == "auto":
        return "auto"
    if text.lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--season {text!r}: expected an integer, auto or none") from None
    if value < 2:
        raise UsageError("--season must be at least 2")
    return value


def infer_kind(values: np.ndarray, denominator: bool) -> str:
    """ratio with a denominator; count when every value is a non-negative integer; else value."""
    if denominator:
        return "ratio"
    finite = values[np.isfinite(values)]
    if len(finite) and (finite >= 0).all() and (finite == np.round(finite)).all():
        return "count"
    return "value"


def step_seconds(times: pd.Series) -> float | None:
    """Median gap between consecutive parsed timestamps, in seconds (None for positions or one point)."""
    if not pd.api.types.is_datetime64_any_dtype(times) or len(times) < 2:
        return None
    gaps = times.diff().dropna().dt.total_seconds()
    gaps = gaps[gaps > 0]
    return float(gaps.median()) if len(gaps) else None


def run(df: pd.DataFrame, *, params, time_col: str | None = None, value_col: str | None = None,
        series_col: str | None = None, kind: str | None = None, denominator_col: str | None = None,
        season: int | str | None = "auto") -> pd.DataFrame:
    """The input with the detector's columns added, ordered by series then time; `attrs['seasons']` maps each
    series to the period found."""
    df = df.reset_index(drop=True)
    time_col, value_col = pick_columns(df, time_col, value_col)
    for option, col in (("--series-col", series_col), ("--denominator-col", denominator_col)):
        if col is not None:
            _require(df, option, col)
    if kind == "ratio" and denominator_col is None:
        raise UsageError("--kind ratio needs --denominator-col")
    numeric_time = pd.api.types.is_numeric_dtype(df[time_col])
    times = df[time_col] if numeric_time else pd.to_datetime(df[time_col], errors="coerce", utc=True)
    if not numeric_time and times.isna().any():
        bad = int(times.isna().to_numpy().nonzero()[0][0])
        raise UsageError(f"--time-col {time_col!r}: row {bad + 2} has an unparseable time {df[time_col].iloc[bad]!r}")
    keys = [series_col] if series_col else []
    order = df.assign(_t=times).sort_values([*keys, "_t"], kind="stable").index
    parts, seasons = [], {}
    groups = df.loc[order].groupby(series_col, sort=False) if series_col else [(None, df.loc[order])]
    for name, part in groups:
        values = pd.to_numeric(part[value_col], errors="coerce").to_numpy(dtype=float)
        dens = pd.to_numeric(part[denominator_col], errors="coerce").to_numpy(dtype=float) \
            if denominator_col else None
        use = kind or infer_kind(values, denominator_col is not None)
        scored = detect(values, params=params, kind=use, denominators=dens,
                        step_seconds=step_seconds(times.loc[part.index]), season=season)
        seasons[name] = scored.attrs.get("season")
        parts.append(pd.concat([part.reset_index(drop=True), scored[list(ADDED)]], axis=1))
    out = pd.concat(parts, ignore_index=True) if parts else df.assign(**{c: [] for c in ADDED})
    out.attrs["seasons"] = seasons
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    params = config_of(args).alerts.detector
    if args.threshold is not None:
        params = params.model_copy(update={"threshold": args.threshold})
    try:
        df = pd.read_csv(args.input)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UsageError(f"--input {args.input}: cannot read it as CSV ({exc})") from None
    out = run(df, params=params, time_col=args.time_col, value_col=args.value_col, series_col=args.series_col,
              kind=args.kind, denominator_col=args.denominator_col,
              season=season_of(args.season, params.season))
    out.to_csv(args.output, index=False)
    seasons = sorted({str(s or "none") for s in out.attrs["seasons"].values()})
    print(f"detect: {len(out):,} points in {len(out.attrs['seasons']):,} series, "
          f"{int((out['status'] == 'new').sum()):,} incidents ({int(out['is_anomaly'].sum()):,} points outside), "
          f"season {', '.join(seasons)} -> {args.output}")
    return 0
