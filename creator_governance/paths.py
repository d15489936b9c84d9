"""Where a path points: an object store (reached only through a Delta engine or Spark) or a folder the filesystem
API reaches (local, mounted, a Unity Catalog volume); and the folder of the files kept beside the tables."""

from __future__ import annotations

import os
import re

VOLUME = re.compile(r"^(dbfs:)?/Volumes/", re.IGNORECASE)  # a Unity Catalog volume (dbfs:/Volumes/… = /Volumes/…)


def is_object_store(path: str) -> bool:
    """s3://…, abfss://…, gs://…, dbfs:/… (not a plain path, nor file://)."""
    return ("://" in path and not path.startswith("file://")) or path.startswith("dbfs:")


def local_path(path: str) -> str:
    """A folder path as the filesystem API takes it (file:// dropped, made absolute); an object store unchanged."""
    path = path.removeprefix("file://")
    return path if is_object_store(path) else os.path.abspath(path)


def default_files(lakehouse: str, catalog: str | None, schema: str | None) -> str | None:
    """The folder of the files beside the tables when tables.files is not set: the lakehouse when it is a folder
    (a volume's dbfs:/Volumes/… path is mounted at /Volumes/…); /Volumes/<catalog>/<schema>/files beside an
    object-store lakehouse with names; else None."""
    if not is_object_store(lakehouse):
        return lakehouse.removeprefix("file://")
    if VOLUME.match(lakehouse):
        return lakehouse.removeprefix("dbfs:")
    if catalog and schema:
        return f"/Volumes/{catalog}/{schema}/files"
    return None


def files_folder(files: str | None, lakehouse: str, name: str) -> str:
    """`<files>/<name>` (e.g. `_models`): the files that are not tables; a clear error naming tables.files when
    the lakehouse is an object store and no folder is set."""
    if not files:
        raise ValueError(f"tables.files: the lakehouse {lakehouse} is an object store and no folder is set for "
                         "model files, reports and dashboard pages; set tables.files (a local, mounted or "
                         "/Volumes/<catalog>/<schema>/<volume> folder), or tables.catalog and tables.schema for the "
                         "default /Volumes/<catalog>/<schema>/files")
    return os.path.join(local_path(files), name)
