"""`govern detect --input CSV --output CSV [--time-col C] [--value-col V] [--season N|auto|none]`.

The metric anomaly detector (models/monitoring/detector.py) on any time series: pandas in and out, no Spark.
Adds expected, lower, upper, score, is_anomaly; each point is scored against the points before it.
"""

from __future__ import annotations

import argparse

import pandas as pd

from creator_governance.jobargs import UsageError, config_of, job_parser
from models.monitoring.detector import DetectorParams, detect

TIME_NAMES = ("timestamp", "ds", "date", "time", "datetime")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = job_parser("govern detect", "Flag anomalies in a CSV time series.", dates=False, lakehouse=False)
    parser.add_argument("--input", required=True, help="CSV file with a header row")
    parser.add_argument("--output", required=True, help="CSV file to write (input columns + detector columns)")
    parser.add_argument("--time-col", help="time column (default: timestamp/ds/date/time, else the first column)")
    parser.add_argument("--value-col", help="value column (default: value, else the first numeric column)")
    parser.add_argument("--season", default="auto",
                        help="season length in points, 'auto' (autocorrelation, default) or 'none'")
    parser.add_argument("--threshold", type=float, help="band half-width in robust scales (default from config)")
    return parser.parse_args(argv)


def pick_columns(df: pd.DataFrame, time_col: str | None, value_col: str | None) -> tuple[str, str]:
    """The time and value columns: given, or guessed by name and type."""
    if time_col is None:
        time_col = next((c for c in df.columns if c.lower() in TIME_NAMES), df.columns[0])
    if value_col is None:
        numeric = [c for c in df.columns if c != time_col and pd.api.types.is_numeric_dtype(df[c])]
        value_col = "value" if "value" in df.columns else (numeric[0] if numeric else None)
    for option, col in (("--time-col", time_col), ("--value-col", value_col)):
        if col is None or col not in df.columns:
            raise UsageError(f"{option} {col!r}: no such column (columns: {', '.join(map(str, df.columns))})")
    return time_col, value_col


def season_of(text: str) -> int | str | None:
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


def run(df: pd.DataFrame, *, time_col: str | None, value_col: str | None, season: int | str | None,
        params: DetectorParams) -> pd.DataFrame:
    """The input with expected, lower, upper, score, is_anomaly added (sorted by time)."""
    time_col, value_col = pick_columns(df, time_col, value_col)
    numeric_time = pd.api.types.is_numeric_dtype(df[time_col])
    parsed = df[time_col] if numeric_time else pd.to_datetime(df[time_col], errors="coerce", utc=True)
    ordered = df.loc[parsed.sort_values(kind="stable").index].reset_index(drop=True)
    values = pd.to_numeric(ordered[value_col], errors="coerce").to_numpy()
    scored = detect(values, season=season, params=params)
    out = pd.concat([ordered, scored], axis=1)
    out.attrs["season"] = scored.attrs.get("season")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = config_of(args).alerts.detector
    params = DetectorParams(**settings.model_dump(exclude={"season"}))
    if args.threshold is not None:
        params = DetectorParams(**{**params.__dict__, "threshold": args.threshold})
    df = pd.read_csv(args.input)
    out = run(df, time_col=args.time_col, value_col=args.value_col, season=season_of(args.season), params=params)
    out.to_csv(args.output, index=False)
    print(f"detect: {len(out)} points, {int(out['is_anomaly'].sum())} anomalies, "
          f"season {out.attrs.get('season') or 'none'} -> {args.output}")
    return 0
