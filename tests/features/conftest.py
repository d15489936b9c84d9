"""Helpers for the feature tests: bronze frames from a few dicts, with the contract's schemas."""

from __future__ import annotations

import datetime as dt

import pytest

UTC = dt.timezone.utc


def ts(text: str) -> dt.datetime:
    """An ISO timestamp (Z, an offset, or none = UTC) as an aware datetime."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def bronze(spark, entity: str, rows: list[dict]):
    """A bronze frame of `entity` from dicts; columns left out are null, `ds` is the UTC date of the event."""
    from creator_governance.contract import ENTITIES

    e = ENTITIES[entity]
    schema = e.bronze_schema()
    full = []
    for row in rows:
        values = {k: (ts(v) if isinstance(v, str) and e.column(k).type == "timestamp" else v)
                  for k, v in row.items()}
        stamp = values.get(e.ds_from)
        values["ds"] = stamp.astimezone(UTC).date() if stamp else None
        full.append(tuple(values.get(f.name) for f in schema.fields))
    return spark.createDataFrame(full, schema)


@pytest.fixture()
def make_sources(spark):
    """Sources from per-entity row lists (missing entities are empty)."""
    from creator_governance.features.common import Sources

    def make(**rows):
        return Sources(**{name: bronze(spark, name, rows.get(name, [])) for name in
                          ("accounts", "content", "engagements", "sessions", "orders", "reports", "decisions")})

    return make
