"""Find the landing zone's files, fingerprint them (sha256) and decide which are new.

Delivery order is (modification time, landing-relative path): the order in which files are considered
delivered, which decides "latest delivery wins" for accounts and every other entity without a version column.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace

from creator_governance.contract import FORMATS, LANDING_ENTITIES

CHUNK = 1 << 20


@dataclass(frozen=True)
class LandingFile:
    """One file of the landing zone."""

    entity: str
    path: str  # absolute local path
    relative: str  # path under the landing root, '/'-separated: what the logs and quarantine show
    format: str  # parquet, json or csv
    size: int
    mtime_ns: int
    sha256: str | None = None
    error: str | None = None  # set when the file cannot even be opened


@dataclass(frozen=True)
class Plan:
    """What one run does with the files it found."""

    new: list[LandingFile]  # to ingest, in delivery order
    redelivered: list[tuple[LandingFile, str]]  # (file, the already ingested path with the same checksum)


def discover(landing: str, entities: Iterable[str] = LANDING_ENTITIES) -> list[LandingFile]:
    """Every data file under `landing/<entity>/` (nested folders too), in delivery order, not yet hashed.

    Hidden and bookkeeping files (names starting with '.' or '_', e.g. `_SUCCESS`, `.crc`) are not data.
    """
    root = os.path.abspath(landing)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"landing zone {landing} is not a folder")
    found = []
    for entity in entities:
        base = os.path.join(root, entity)
        for folder, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            for name in names:
                fmt = FORMATS.get(os.path.splitext(name)[1].lower())
                if fmt is None or name.startswith((".", "_")):
                    continue
                path = os.path.join(folder, name)
                stat = os.stat(path)
                relative = os.path.relpath(path, root).replace(os.sep, "/")
                found.append(LandingFile(entity, path, relative, fmt, stat.st_size, stat.st_mtime_ns))
    return sorted(found, key=lambda f: (f.mtime_ns, f.relative))


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(files: list[LandingFile], known: dict[tuple[str, int, int], str]) -> list[LandingFile]:
    """The files with their sha256; a file whose (path, size, mtime) the log already holds is not re-read."""
    out = []
    for f in files:
        cached = known.get((f.relative, f.size, f.mtime_ns))
        if cached:
            out.append(replace(f, sha256=cached))
            continue
        try:
            out.append(replace(f, sha256=sha256_of(f.path)))
        except OSError as exc:
            out.append(replace(f, sha256=f"unreadable:{f.relative}:{f.size}:{f.mtime_ns}", error=str(exc)))
    return out


def plan(files: list[LandingFile], logged: dict[str, str], logged_pairs: set[tuple[str, str]]) -> Plan:
    """Split fingerprinted files into new ones and re-deliveries.

    `logged` maps each checksum in the ingest log to the path first ingested with it; `logged_pairs` holds
    every (path, checksum) already in the log, which a re-run skips silently.
    """
    seen = dict(logged)
    new, redelivered = [], []
    for f in files:
        if (f.relative, f.sha256) in logged_pairs:
            continue
        if f.sha256 in seen:
            redelivered.append((f, seen[f.sha256]))
            continue
        seen[f.sha256] = f.relative
        new.append(f)
    return Plan(new, redelivered)
