"""SQL text helpers: what Spark reads back is what was written."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.features import sqltext


def test_names_strings_and_doubles_read_back_exactly(spark):
    odd = "it's a `tick` \\ here"
    text = odd + ", ${spark.sql.shuffle.partitions} unsubstituted"  # a key Spark would substitute
    df = spark.createDataFrame([(1.5,)], T.StructType([T.StructField(odd, T.DoubleType())]))
    row = df.select(F.expr(f"{sqltext.name(odd)} * {sqltext.double(-0.5)}").alias("x"),
                    F.expr(sqltext.string(text)).alias("s"), F.expr(sqltext.double(1e-9)).alias("tiny"),
                    F.expr(sqltext.double(12.5)).alias("d")).first()
    assert row["x"] == -0.75 and row["s"] == text and row["tiny"] == 1e-9
    # a DOUBLE, not a DECIMAL(3,1) as the bare literal 12.5 would be
    assert df.select(F.expr(sqltext.double(12.5)).alias("d")).schema["d"].dataType == T.DoubleType()


def test_a_non_finite_double_and_a_substitutable_name_are_refused():
    with pytest.raises(ValueError, match="not a finite number"):
        sqltext.double(float("nan"))
    with pytest.raises(ValueError, match="substituted"):
        sqltext.name("a${b}")


def test_date_between_keeps_both_ends_and_nothing_outside(spark):
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(6)]
    df = spark.createDataFrame([(d,) for d in days], "ds date")
    kept = df.filter(sqltext.date_between("ds", days[1], days[4])).collect()
    assert sorted(r.ds for r in kept) == days[1:5]
    assert df.select(F.expr(sqltext.date(days[0])).alias("d")).schema["d"].dataType == T.DateType()
