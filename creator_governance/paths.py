"""Where a path points: an object store (reached only through a Delta engine or Spark) or a folder the filesystem
API reaches (local, mounted, a Unity Catalog volume); and the folder of the files kept beside the tables."""

from __future__ import annotations

import os


def is_object_store(path: str) -> bool:
    """s3://…, abfss://…, gs://…, dbfs:/… (not a plain path, nor file://)."""
    return ("://" in path and not path.startswith("file://")) or path.startswith("dbfs:")


def local_path(path: str) -> str:
    """A folder path as the filesystem API takes it (file:// dropped, made absolute); an object store unchanged."""
    path = path.removeprefix("file://")
    return path if is_object_store(path) else os.path.abspath(path)


def files_folder(files: str | None, lakehouse: str, name: str) -> str:
    """`<files>/<name>` (e.g. `_models`): the files that are not tables; a clear error naming tables.files when
    the lakehouse is an object store and no folder is set."""
    if not files:
        raise ValueError(f"tables.files: the lakehouse {lakehouse} is an object store and no folder is set for "
                         "model files, reports and dashboard pages; set tables.files (a local, mounted or "
                         "/Volumes/<catalog>/<schema>/<volume> folder), or tables.catalog and tables.schema for the "
                         "default /Volumes/<catalog>/<schema>/files")
    return os.path.join(local_path(files), name)
