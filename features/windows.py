"""Day indexes and trailing windows: the one place where calendar windows are defined.

A window of `w` days ending on `ds` covers the UTC dates `[ds - w + 1, ds]`. Days are integers (days since
1970-01-01, UTC) so that windows are plain integer ranges whatever the session time zone.

Two ways to compute trailing windows live here:

* `trailing_days` is a `rangeBetween` window on the day index, for running values over a dense series.
* `explode_to_targets` is the "contribution explode" used by the feature builders: each daily row is copied
  once to every requested `ds` whose largest window contains it, tagged with `offset = ds - day`. One
  aggregation per (key, ds) then yields every window at once (`in_window(7)` is `offset < 7`), including
  distinct counts, which Spark's window functions cannot compute. A row is copied at most
  `min(len(days), max_window)` times and only to requested days, so a single `ds` never touches a dense
  account x day grid and a backfill shares one scan and one shuffle across all its days.

The helpers write their expressions as SQL text (features/sqltext.py) where they are given column names: the
feature builders call them a few hundred times per run, and a Column built in Python costs a JVM round trip per
call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pyspark.sql import Column, DataFrame, Window as W
from pyspark.sql import functions as F

from creator_governance.features.sqltext import name

EPOCH = dt.date(1970, 1, 1)
SECONDS_PER_DAY = 86400


def to_index(day: dt.date) -> int:
    """A date as its day index."""
    return (day - EPOCH).days


def target_indexes(days: Iterable[dt.date]) -> list[int]:
    """The requested days as sorted, distinct day indexes."""
    return sorted({to_index(d) for d in days})


def ref(column: str) -> str:
    """SQL text of a column reference as `F.col` reads it: `a.b` is field `b` of `a`."""
    return ".".join(name(part) for part in column.split("."))


def day_index_of_ts(column: str) -> Column:
    """UTC day index of a timestamp column (independent of the session time zone)."""
    return F.expr(f"cast(floor(unix_seconds({ref(column)}) / {SECONDS_PER_DAY}) as int)")


def day_index_of_date(column: str) -> Column:
    """Day index of a date column."""
    return F.datediff(F.col(column), F.lit(EPOCH)).cast("int")


def date_of_index(column: str) -> Column:
    """The date of a day-index column."""
    return F.date_add(F.lit(EPOCH), F.col(column))


def seconds_of_day(column: str) -> Column:
    """Seconds since UTC midnight of a timestamp column."""
    return F.pmod(F.unix_seconds(F.col(column)), F.lit(SECONDS_PER_DAY))


def trailing_days(n: int, *keys: str) -> W:
    """Rows of the same keys dated in the `n` days ending on the current row's `day_index`."""
    return W.partitionBy(*keys).orderBy("day_index").rangeBetween(-(n - 1), 0)


def lookback_bounds(days: Iterable[dt.date], max_window: int) -> tuple[dt.date, dt.date]:
    """First and last event date any of `days` needs for windows up to `max_window` days."""
    ordered = sorted(days)
    return ordered[0] - dt.timedelta(days=max_window - 1), ordered[-1]


def filter_in_reach(df: DataFrame, *, targets: list[int], max_window: int, day: str = "day") -> DataFrame:
    """Rows dated inside the `max_window`-day window of at least one day of the span of `targets`."""
    lo, hi = min(targets), max(targets)
    return df.filter(f"({ref(day)} <= {int(hi)}) AND (({ref(day)} + {int(max_window - 1)}) >= {int(lo)})")


def explode_to_targets(df: DataFrame, *, targets: list[int], max_window: int, day: str = "day") -> DataFrame:
    """Each row once per requested day index `ds_index` whose `max_window`-day window holds `day`.

    Adds `ds_index` and `offset` (= ds_index - day, 0 on the day itself). Rows dated after every target are
    dropped: a row for `ds` only ever sees events dated on or before `ds`.
    """
    lo, hi = min(targets), max(targets)
    reach = f"sequence(greatest({ref(day)}, {int(lo)}), least({ref(day)} + {int(max_window - 1)}, {int(hi)}))"
    out = filter_in_reach(df, targets=targets, max_window=max_window, day=day).withColumn(
        "ds_index", F.expr(f"explode({reach})"))
    if len(targets) != hi - lo + 1:
        out = out.filter(f"`ds_index` IN ({', '.join(str(int(t)) for t in targets)})")
    return out.withColumn("offset", F.expr(f"`ds_index` - {ref(day)}"))


def _in_window(w: int, lag: int = 0) -> str:
    return f"((`offset` >= {int(lag)}) AND (`offset` < {int(lag + w)}))"


def in_window(w: int, lag: int = 0) -> Column:
    """The exploded row falls in the `w`-day window ending `lag` days before ds (lag 7 = the previous week)."""
    return F.expr(_in_window(w, lag))


def in_window_of_sql(target: int, w: int, day: str = "day") -> str:
    """SQL text of `in_window_of`."""
    return f"(({ref(day)} <= {int(target)}) AND ({ref(day)} > {int(target - w)}))"


def in_window_of(target: int, w: int, day: str = "day") -> Column:
    """The row's `day` falls in the `w`-day window ending on day index `target` (no explode needed)."""
    return F.expr(in_window_of_sql(target, w, day))


def wsum(column: str | Column, w: int, lag: int = 0) -> Column:
    """Sum of `column` over the window; 0 when nothing happened."""
    if isinstance(column, str):
        return F.expr(f"coalesce(sum(CASE WHEN {_in_window(w, lag)} THEN {ref(column)} END), 0)")
    return F.coalesce(F.sum(F.when(in_window(w, lag), column)), F.lit(0))


def wcount(w: int, lag: int = 0, condition: Column | None = None) -> Column:
    """Rows in the window (meeting `condition`); 0 when none."""
    if condition is None:
        return F.expr(f"count(CASE WHEN {_in_window(w, lag)} THEN 1 END)")
    return F.count(F.when(in_window(w, lag) & condition, F.lit(1)))


def wcount_distinct(column: str, w: int, lag: int = 0) -> Column:
    """Distinct non-null values of `column` in the window; 0 when none."""
    return F.expr(f"count(DISTINCT CASE WHEN {_in_window(w, lag)} THEN {ref(column)} END)")


def wmax(column: str | Column, w: int, lag: int = 0) -> Column:
    """Largest value in the window; null when none."""
    if isinstance(column, str):
        return F.expr(f"max(CASE WHEN {_in_window(w, lag)} THEN {ref(column)} END)")
    return F.max(F.when(in_window(w, lag), column))


def wmin(column: str | Column, w: int, lag: int = 0) -> Column:
    """Smallest value in the window; null when none."""
    if isinstance(column, str):
        return F.expr(f"min(CASE WHEN {_in_window(w, lag)} THEN {ref(column)} END)")
    return F.min(F.when(in_window(w, lag), column))


def ratio(numerator: str | Column, denominator: str | Column) -> Column:
    """numerator / denominator as a double; null when the denominator is 0 or null."""
    if isinstance(numerator, str) and isinstance(denominator, str):
        return F.expr(f"try_divide(cast({ref(numerator)} as double), nullif(cast({ref(denominator)} as double), 0.0D))")
    num = F.col(numerator) if isinstance(numerator, str) else numerator
    den = F.col(denominator) if isinstance(denominator, str) else denominator
    return F.try_divide(num.cast("double"), F.nullif(den.cast("double"), F.lit(0.0)))


def whole_group(*keys: str) -> W:
    """All rows sharing `keys`, in no order: a group aggregate kept on every row, without a self-join."""
    return W.partitionBy(*keys).rowsBetween(W.unboundedPreceding, W.unboundedFollowing)


def previous_event(*keys: str, order: str) -> W:
    """The events of the same keys in time order (for gaps between consecutive events, not calendar windows)."""
    return W.partitionBy(*keys).orderBy(order)
