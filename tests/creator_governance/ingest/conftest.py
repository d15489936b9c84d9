"""Helpers that write small landing zones with plain Python tools (json, csv, pyarrow): no simulator."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest


def write_jsonl(path: Path, records: list, *, raw_lines: list[str] = ()) -> Path:
    """Objects as JSON lines, then any raw lines verbatim (malformed on purpose)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) if not isinstance(r, str) else r for r in records] + list(raw_lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def write_csv(path: Path, header: list[str], rows: list[list], *, raw_lines: list[str] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
        for line in raw_lines:
            handle.write(line + "\r\n")
    return path


def write_parquet(path: Path, table) -> Path:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def touch_in_order(*paths: Path) -> None:
    """Give files increasing modification times: their delivery order."""
    base = 1_767_225_600
    for i, p in enumerate(paths):
        os.utime(p, (base + i, base + i))


class LandingTools:
    """The writers above, handed to tests as a fixture (tests import nothing from each other)."""

    jsonl = staticmethod(write_jsonl)
    csv = staticmethod(write_csv)
    parquet = staticmethod(write_parquet)
    touch_in_order = staticmethod(touch_in_order)


@pytest.fixture(scope="session")
def lz():
    return LandingTools()


def run_ingest(spark, tables, landing) -> dict:
    """The ingest job on `landing` into `tables`' lakehouse; returns its summary."""
    from creator_governance.runtime import JobContext
    from creator_governance.settings import Config
    from creator_governance.jobs import ingest as job

    # Defaults of every section (not conf/ files others may be editing), this lakehouse.
    cfg = Config.model_validate({"tables": {"lakehouse": tables.root}})
    return job.run(JobContext(spark=spark, tables=tables, cfg=cfg), str(landing))


@pytest.fixture(scope="session")
def ingest_into():
    return run_ingest


@pytest.fixture()
def ingest(spark, tables):
    """Run the ingest job on a landing zone into the test's lakehouse; returns the summary."""
    return lambda landing: run_ingest(spark, tables, landing)


def table_rows(tables, name: str, drop: tuple[str, ...] = ()) -> list[tuple]:
    """A table's rows as sorted tuples (minus `drop` columns): equal lists mean equal tables."""
    df = tables.read(name)
    return sorted((tuple(r) for r in df.drop(*drop).collect()), key=repr)


@pytest.fixture(scope="session")
def rows_of():
    return table_rows
