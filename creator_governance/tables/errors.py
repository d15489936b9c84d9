"""Errors of the table layer, each naming the table and the fault."""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass


class TableError(RuntimeError):
    """Base of every table layer error."""


class TableNotFound(TableError):
    """The table has no Delta log under the lakehouse."""


class SchemaMismatch(TableError):
    """Incoming columns or types differ from the table's schema."""


class PartitionViolation(TableError):
    """Rows written by a partition overwrite fall outside the partitions it replaces."""


class ConcurrentWrite(TableError):
    """Another writer changed the files this write replaces; nothing was committed."""


class StorageError(TableError):
    """The filesystem refused a write (full, read-only, not permitted, not a folder); the message names the
    path, the fault and what to do."""


@dataclass(frozen=True)
class StorageFault:
    """A filesystem error recognised in a Python, Java (Spark) or Rust (delta-rs) exception."""

    code: str  # errno name
    what: str
    todo: str
    path: str | None


_SPACE = "free space on that filesystem (or vacuum old table versions) or point --lakehouse at a larger one"
# errno -> (phrase in Java/Rust/C messages, plain meaning, what to do). One entry per fault the CLI explains.
FAULTS: dict[int, tuple[str, str, str]] = {
    errno.ENOSPC: ("No space left on device", "no space left on device", _SPACE),
    errno.EDQUOT: ("Disk quota exceeded", "disk quota exceeded", _SPACE),
    errno.EROFS: ("Read-only file system", "read-only file system",
                  "remount it read-write or point --lakehouse at a writable location"),
    errno.EACCES: ("Permission denied", "permission denied",
                   "give the user running govern write access to that folder"),
    errno.EPERM: ("Operation not permitted", "operation not permitted",
                  "check the folder's owner and attributes (an immutable flag: lsattr, chattr -i)"),
    errno.ENOTDIR: ("Not a directory", "a parent of the path is a file, not a folder",
                    "point --lakehouse (tables.lakehouse) at a folder"),
}
_PATH = re.compile(r"(?:file:)?(/[^\s'\",;\]\)]+)")


def storage_fault(exc: BaseException) -> StorageFault | None:
    """The filesystem fault behind `exc` (its chain, a Spark/Py4J Java cause chain or a delta-rs message), or
    None when it is not one."""
    for err in _chain(exc):
        if isinstance(err, OSError) and err.errno in FAULTS:
            _phrase, what, todo = FAULTS[err.errno]
            return StorageFault(errno.errorcode[err.errno], what, todo, err.filename and str(err.filename))
    texts = [_text(err) for err in _chain(exc)]
    for code, (phrase, what, todo) in FAULTS.items():
        for text in texts:
            if phrase in text:
                path = _PATH.search(text)
                return StorageFault(errno.errorcode[code], what, todo, path.group(1).rstrip(".:") if path else None)
    return None


def _chain(exc: BaseException):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _text(exc: BaseException) -> str:
    """The exception's message with its Java cause chain when it wraps a JVM error."""
    parts = [str(exc)]
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    for _ in range(20):  # Java cause chains are short; the bound guards a cycle
        if java is None:
            break
        try:
            parts.append(str(java.toString()))
            java = java.getCause()
        except Exception:  # noqa: BLE001 - the gateway may be gone (a killed JVM): keep what we have
            break
    return "\n".join(parts)
