"""Cast raw string columns to the contract's types and explain every broken rule (dqx-style messages).

`with_validated` turns the raw frame of `read` into typed contract columns, `ds` and `reasons`: an array of
readable messages, empty when the row meets the contract. Each check is a Column that is null when the value
is fine and a message when it is not, e.g. "amount: -3 is below the minimum 0".
"""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.contract import SPARK_TYPES, Column, Entity

# ISO-8601: a date, optionally a time (T or space) with optional fraction, optionally Z or a +hh:mm offset.
# Spark's own cast is laxer ("2026", "yesterday", "now" parse), so the shape is checked first.
ISO_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|z|[+-]\d{2}(:?\d{2})?)?$"
# Timestamps must fall in the years 1000 to 9999 (UTC): an offset can push a 4-digit year out of that range, and
# PySpark cannot even collect a timestamp of year 1 (datetime.fromtimestamp fails near datetime.min).
EARLIEST, LATEST = "1000-01-01 00:00:00", "9999-12-31 23:59:59.999999"
TRUE_VALUES = ("true", "1")
FALSE_VALUES = ("false", "0")
VALIDATED_META = ["_file", "_line", "raw_record", "reasons"]


def _number(value: float) -> str:
    return f"{value:g}"


def _quoted(text: SparkColumn) -> SparkColumn:
    return F.concat(F.lit("'"), text, F.lit("'"))


def _message(column: str, text: SparkColumn | str) -> SparkColumn:
    return F.concat(F.lit(f"{column}: "), text if isinstance(text, SparkColumn) else F.lit(text))


def cast_and_check(col: Column, *, true_values=TRUE_VALUES, false_values=FALSE_VALUES) -> tuple[SparkColumn, list[SparkColumn]]:
    """The typed value of one raw string column (before defaults) and its checks (null = fine)."""
    raw = F.nullif(F.trim(F.col(col.name)), F.lit(""))
    present = raw.isNotNull()
    checks = []
    if col.required:
        checks.append(F.when(~present, _message(col.name, "required value missing")))
    if col.type == "timestamp":
        typed = F.when(raw.rlike(ISO_TIMESTAMP), F.expr(f"try_cast(upper(trim(`{col.name}`)) as timestamp)"))
        checks.append(F.when(present & typed.isNull(), _message(col.name, F.concat(_quoted(raw), F.lit(" is not a timestamp")))))
        in_range = typed.between(F.lit(EARLIEST).cast("timestamp"), F.lit(LATEST).cast("timestamp"))
        checks.append(F.when(~in_range, _message(
            col.name, F.concat(_quoted(raw), F.lit(" is outside the years 1000 to 9999 (UTC)")))))
        typed = F.when(in_range, typed)
    elif col.type == "double":
        typed = F.expr(f"try_cast(trim(`{col.name}`) as double)")
        typed = F.when(~F.isnan(typed) & (F.abs(typed) != F.lit(float("inf"))), typed)
        checks.append(F.when(present & typed.isNull(), _message(col.name, F.concat(_quoted(raw), F.lit(" is not a number")))))
        if col.minimum is not None:
            checks.append(F.when(typed < col.minimum, _message(
                col.name, F.concat(raw, F.lit(f" is below the minimum {_number(col.minimum)}")))))
        if col.maximum is not None:
            checks.append(F.when(typed > col.maximum, _message(
                col.name, F.concat(raw, F.lit(f" is above the maximum {_number(col.maximum)}")))))
    elif col.type == "boolean":
        lowered = F.lower(raw)
        typed = F.when(lowered.isin(*true_values), F.lit(True)).when(lowered.isin(*false_values), F.lit(False))
        allowed = "/".join([*true_values, *false_values])
        checks.append(F.when(present & typed.isNull(), _message(
            col.name, F.concat(_quoted(raw), F.lit(f" is not a boolean ({allowed})")))))
    else:
        typed = raw
    if col.allowed is not None:
        checks.append(F.when(present & ~raw.isin(*col.allowed), _message(
            col.name, F.concat(_quoted(raw), F.lit(f" is not one of {', '.join(col.allowed)}")))))
    if col.pattern is not None:
        checks.append(F.when(present & ~raw.rlike(col.pattern), _message(
            col.name, F.concat(_quoted(raw), F.lit(f" does not match {col.pattern}")))))
    return typed.cast(SPARK_TYPES[col.type]), checks


def with_validated(df: DataFrame, entity: Entity, *, true_values=TRUE_VALUES, false_values=FALSE_VALUES) -> DataFrame:
    """The raw frame typed and checked.

    Returns `_file`, `_line`, `raw_record`, `reasons` (array<string>, empty when valid), the contract columns
    with their types and defaults (is_seller/is_aigc false, updated_at = created_at), and `ds`.
    """
    typed, checks = {}, []
    for col in entity.columns:
        value, col_checks = cast_and_check(col, true_values=true_values, false_values=false_values)
        typed[col.name] = value
        checks.extend(col_checks)
    reasons = F.when(F.col("_malformed").isNotNull(), F.array(F.col("_malformed"))).otherwise(
        F.array_compact(F.array(*checks)) if checks else F.array().cast("array<string>"))
    out = df.select(*VALIDATED_META[:3], reasons.alias("reasons"), *[v.alias(k) for k, v in typed.items()])
    for col in entity.columns:
        if col.default is not None:
            out = out.withColumn(col.name, F.coalesce(F.col(col.name), F.lit(col.default)))
        elif col.default_from is not None:
            out = out.withColumn(col.name, F.coalesce(F.col(col.name), F.col(col.default_from)))
    return out.withColumn("ds", F.to_date(F.col(entity.ds_from))).select(
        *VALIDATED_META, *entity.column_names, "ds")


def is_valid() -> SparkColumn:
    """Rows that meet the contract."""
    return F.size("reasons") == 0
