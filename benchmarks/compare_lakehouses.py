"""Are two lakehouses the same data? Every Delta table of both, row for row, except volatile columns.

    python benchmarks/compare_lakehouses.py LAKEHOUSE_A LAKEHOUSE_B [--ignore-table T ...]

Used to show that a refactoring changes no result: run the demo (same seed) with the code before and after, then
compare; run it twice with the code before first, to show the comparison is not fooled by nondeterminism. Each
table is read at its latest version with delta-rs; the columns in VOLATILE (run ids, wall-clock times, durations,
model versions named after the training time, file paths and the step summaries that hold them) are dropped;
rows are compared as multisets (sorted on every remaining column), floats to 1e-9 relative. Exit 0 when every
table matches, 1 naming each table that differs (with a first differing row), 2 on a table present on one side
only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import pandas as pd

# Columns whose values change from run to run by design.
VOLATILE = frozenset({
    "run_id", "started_at", "duration_s", "created_at", "ingested_at", "committed_at", "seconds", "summary",
    "model_version", "version", "path", "training_seconds", "rendered_at", "generated_at", "params_json",
    "report_path", "source_mtime", "computed_at", "run_at",
    # where and in what bytes the landing files were (two simulations write the same rows in Parquet files whose
    # bytes differ): not the rows
    "landing", "_source_sha256", "sha256", "mtime_ns",
})
RELATIVE_TOLERANCE = 1e-9


def delta_tables(root: str) -> list[str]:
    return sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d, "_delta_log")))


def _rounded(value):
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _text(value):
    """A cell as text; JSON held in a string (metrics_json, summaries) with its floats to 10 digits, as the float
    columns are compared."""
    if value is None:
        return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(_rounded(json.loads(value)), sort_keys=True)
        except ValueError:
            return value
    return str(value)


def canonical(frame: pd.DataFrame, ignore: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The rows without volatile (or `ignore`d) columns, in a fixed order (nested values as text)."""
    kept = frame[[c for c in sorted(frame.columns) if c not in VOLATILE and c not in ignore]].copy()
    for column in kept.columns:
        if kept[column].dtype == object:
            kept[column] = kept[column].map(_text)
    # sort on every column, floats rounded (so a last-digit difference does not reorder the rows)
    key = pd.DataFrame({c: (kept[c].round(6) if pd.api.types.is_float_dtype(kept[c]) else kept[c]).astype(str)
                        for c in kept.columns})
    order = sorted(range(len(key)), key=lambda i: tuple(key.iloc[i])) if len(key.columns) else range(len(kept))
    return kept.iloc[list(order)].reset_index(drop=True)


def difference(a: pd.DataFrame, b: pd.DataFrame) -> str | None:
    """None when the canonical frames match; else what differs first."""
    if list(a.columns) != list(b.columns):
        return f"columns {list(a.columns)} vs {list(b.columns)}"
    if len(a) != len(b):
        return f"{len(a)} rows vs {len(b)}"
    for column in a.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            same = np.isclose(x.to_numpy(float), y.to_numpy(float), rtol=RELATIVE_TOLERANCE, atol=0.0, equal_nan=True)
        else:
            same = (x.astype(str) == y.astype(str)).to_numpy()
        if not same.all():
            row = int(np.argmin(same))
            return f"column {column}, row {row}: {x.iloc[row]!r} vs {y.iloc[row]!r}"
    return None


def compare(left: str, right: str, ignore: set[str] = frozenset(), columns: set[str] = frozenset()) -> dict[str, str]:
    """table -> what differs (empty when the lakehouses hold the same data); `columns`: `table.column` to leave
    out (a change that alters one column by design)."""
    from deltalake import DeltaTable

    tables_l, tables_r = set(delta_tables(left)) - ignore, set(delta_tables(right)) - ignore
    out = {t: "only in the first" for t in tables_l - tables_r} | {t: "only in the second" for t in tables_r - tables_l}
    for table in sorted(tables_l & tables_r):
        skip = frozenset(c.split(".", 1)[1] for c in columns if c.startswith(f"{table}."))
        a = canonical(DeltaTable(os.path.join(left, table)).to_pandas(), skip)
        b = canonical(DeltaTable(os.path.join(right, table)).to_pandas(), skip)
        found = difference(a, b)
        if found:
            out[table] = found
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("left")
    parser.add_argument("right")
    parser.add_argument("--ignore-table", action="append", default=[], help="a table to leave out (repeatable)")
    parser.add_argument("--ignore-column", action="append", default=[], metavar="TABLE.COLUMN",
                        help="a column of one table to leave out (repeatable)")
    args = parser.parse_args(argv)
    found = compare(args.left, args.right, set(args.ignore_table), set(args.ignore_column))
    shared = sorted(set(delta_tables(args.left)) - set(args.ignore_table))
    for table in shared:
        print(f"{table}: {found.get(table, 'identical')}")
    for table, what in found.items():
        if table not in shared:
            print(f"{table}: {what}")
    if any(v.startswith("only in") for v in found.values()):
        return 2
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
