"""Bytes a pandas function needs on every executor (a booster, a fitted forest), shipped as a file.

`ship(spark, raw)` writes the bytes once to a driver-local file named by their content and adds it to the
session as a file artifact (`SparkSession.addArtifacts(..., file=True)`: Spark Classic since 4.0 and Spark
Connect alike, no SparkContext); the pandas function gets only the file's name and reads it on the executor
with `loaded(name, parse)`, parsed once per Python worker. A model in a task closure would be sent with every
task (Spark's "Broadcasting large task binary" warning); `sparkContext.broadcast` does not exist on Spark
Connect or shared Databricks compute.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# Objects already parsed in this Python worker, by shipped file name (workers are reused across tasks).
_LOADED: dict[str, object] = {}


def shipped_name(raw: bytes, suffix: str) -> str:
    """The file name `raw` ships under: content-addressed, so a changed model is a new file (Spark refuses to
    overwrite an artifact) and the same model shipped twice is one file."""
    return f"cg-{hashlib.sha256(raw).hexdigest()[:24]}{suffix}"


def ship(spark, raw: bytes, *, suffix: str = ".bin") -> str:
    """Make `raw` a file on every executor of `spark`'s session; returns the name `loaded` reads it by."""
    name = shipped_name(raw, suffix)
    directory = Path(tempfile.gettempdir()) / "creator-governance-shipped"
    directory.mkdir(exist_ok=True)
    path = directory / name
    if not path.exists():
        part = directory / f".{name}.{uuid.uuid4().hex}"
        part.write_bytes(raw)
        os.replace(part, path)
    spark.addArtifacts(str(path), file=True)
    return name


def loaded(name: str, parse: Callable[[bytes], T]) -> T:
    """On an executor (or the driver in local mode): the shipped file `name` parsed by `parse`, once per worker."""
    if name not in _LOADED:
        from pyspark import SparkFiles

        _LOADED[name] = parse(Path(SparkFiles.get(name)).read_bytes())
    return _LOADED[name]  # type: ignore[return-value]
