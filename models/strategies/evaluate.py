"""Hit evaluation: every checked strategy over one evaluation frame, one row per (strategy, target, ds) hit."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

from pyspark.sql import DataFrame, functions as F, types as T

from creator_governance.catalog import schema
from creator_governance.models.strategies.checker import list_flag_column
from creator_governance.models.strategies.spec import CheckedStrategy, target_key

HITS_SCHEMA = schema("strategy_hits")


def with_list_flags(frame: DataFrame, strategies: Sequence[CheckedStrategy], members: DataFrame) -> DataFrame:
    """Add one boolean column per (list, column) used by `in_list`: true when the row's value is a member.

    `members` has list_name and value (see lists.current_members); lists are small, so they are broadcast.
    """
    pairs = dict.fromkeys(pair for s in strategies for pair in s.lists)
    for name, column in pairs:
        flag = list_flag_column(name, column)
        values = (members.filter(F.col("list_name") == name)
                  .select(F.col("value").alias("__list_value")).distinct()
                  .withColumn(flag, F.lit(True)))
        frame = (frame.join(F.broadcast(values), F.col(column).cast("string") == F.col("__list_value"), how="left")
                 .drop("__list_value")
                 .withColumn(flag, F.coalesce(F.col(flag), F.lit(False))))
    return frame


def fired_values(columns: Sequence[str]):
    """A map column of the referenced columns' values (as strings) that explain why a row fired."""
    if not columns:
        return F.create_map().cast(T.MapType(T.StringType(), T.StringType()))
    pairs = [item for c in columns for item in (F.lit(c), F.col(c).cast("string"))]
    return F.create_map(*pairs)


def evaluate_strategy(frame: DataFrame, strategy: CheckedStrategy) -> DataFrame:
    """Rows of `frame` (with ds and the target key) where the condition is true; a null condition does not fire.

    Columns: HITS_SCHEMA.
    """
    s = strategy.spec
    return frame.filter(F.expr(strategy.expression)).select(
        F.col("ds").cast("date").alias("ds"),
        F.lit(s.id).alias("strategy_id"),
        F.lit(s.version).cast("int").alias("version"),
        F.lit(s.status).alias("status"),
        F.lit(s.target).alias("target_type"),
        F.col(target_key(s)).cast("string").alias("target_id"),
        F.lit(s.action).alias("action"),
        F.lit(s.severity).cast("int").alias("severity"),
        fired_values(strategy.fired_columns).alias("fired_values"),
    )


def build_strategy_hits(frame: DataFrame, strategies: Sequence[CheckedStrategy], members: DataFrame) -> DataFrame:
    """Hits of every non-retired strategy over `frame` (one target type); empty frame when none.

    Columns: HITS_SCHEMA.
    """
    live = [s for s in strategies if s.spec.status in ("active", "shadow")]
    if not live:
        return frame.sparkSession.createDataFrame([], HITS_SCHEMA)
    flagged = with_list_flags(frame, live, members)
    parts = [evaluate_strategy(flagged, s) for s in live]
    return reduce(DataFrame.unionByName, parts).select(*HITS_SCHEMA.fieldNames())
