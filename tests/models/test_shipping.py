"""Models reach the executors as content-named files (models/shipping.py), not in task closures."""

from __future__ import annotations

import pandas as pd

from creator_governance.models.shipping import loaded, ship, shipped_name


def test_names_follow_content():
    assert shipped_name(b"model a", ".xgb") == shipped_name(b"model a", ".xgb")
    assert shipped_name(b"model a", ".xgb") != shipped_name(b"model b", ".xgb")
    assert shipped_name(b"model a", ".xgb").endswith(".xgb")


def test_executors_read_the_shipped_bytes(spark):
    first = ship(spark, b"first model")
    again = ship(spark, b"first model")  # shipping the same model twice is one file, not an error
    second = ship(spark, b"second model")
    assert first == again and first != second
    names = [first, second]

    def read(frames):
        for pdf in frames:
            yield pd.DataFrame({"i": pdf["id"], "text": [loaded(names[i], bytes.decode) for i in pdf["id"]]})

    rows = spark.range(2).repartition(2).mapInPandas(read, "i long, text string").collect()
    assert sorted((r["i"], r["text"]) for r in rows) == [(0, "first model"), (1, "second model")]
