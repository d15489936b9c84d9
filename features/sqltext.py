"""SQL text for expressions built over many columns.

Every `pyspark.sql.Column` built in Python (`F.col`, an operator, `alias`, ...) is a round trip to the JVM, about
ten for `F.col(c) * w` (0.15-0.2 ms each on a 2-core machine). An expression over 60 columns and 12 centres built
that way costs thousands of round trips, seconds per run whatever the data size; the same expression as SQL text
is one `F.expr`. These helpers write the literals and names of such text safely.
"""

from __future__ import annotations

import datetime as dt
import math


def name(column: str) -> str:
    """A column name as a SQL identifier (backticks, inner backticks doubled). Spark substitutes `${...}` in SQL
    text (`spark.sql.variable.substitute`) before parsing, so a name holding `${` is refused."""
    if "${" in column:
        raise ValueError(f"column name {column!r}: '${{' would be substituted by Spark before parsing")
    return "`" + column.replace("`", "``") + "`"


def string(text: str) -> str:
    """A SQL string literal (backslash escapes, as Spark SQL reads them by default); `$` written as its escape,
    so Spark's `${...}` substitution never rewrites the text."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("$", "\\u0024") + "'"


def double(value: float) -> str:
    """A finite float as a DOUBLE literal (never a DECIMAL: `0.5` alone would be one)."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    return f"({value!r}D)"


def date(value: dt.date) -> str:
    """A DATE literal (a Python date passed as a Column would be several round trips)."""
    return f"DATE'{value.isoformat()}'"


def date_between(column: str, first: dt.date, last: dt.date) -> str:
    """`column` between two dates, both included."""
    return f"{name(column)} BETWEEN {date(first)} AND {date(last)}"


def log1p_nonnegative(column: str, *, missing: float) -> str:
    """SQL text of log1p(max(x, 0)) as a double, the log scale of the behaviour features (anomaly scores,
    behaviour clusters). `greatest` skips nulls, so a null counts as 0 and `missing` (the coalesce) never applies
    to a number; it stays so each caller's expression is what it was."""
    return f"coalesce(log1p(greatest(cast({name(column)} as double), 0D)), {double(missing)})"
