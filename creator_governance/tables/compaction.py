"""Compaction shared by both engines: which partitions have enough small files to rewrite, and the result.

A file is small when it is below the target size. A partition is rewritten when it holds at least `min_files`
small files; the others are left alone, so a re-run with nothing to do commits nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

UNPARTITIONED = ""  # the one "partition" of a table without partition columns


@dataclass(frozen=True)
class CompactResult:
    """What one compaction did. `version` is the table's version afterwards: the OPTIMIZE commit's when
    `committed`, else the unchanged latest one."""

    table: str
    version: int
    committed: bool
    partitions: tuple[str, ...]  # ds values rewritten ("" for a table without partitions)
    files_removed: int
    files_added: int
    bytes_removed: int
    bytes_added: int

    @classmethod
    def nothing(cls, table: str, version: int) -> "CompactResult":
        return cls(table, version, False, (), 0, 0, 0, 0)


def partitions_to_compact(
    files: Iterable[tuple[str, int]], *, wanted: Iterable[str] | None, target_bytes: int, min_files: int
) -> list[str]:
    """The partitions among `wanted` (all when None) holding at least `min_files` files below `target_bytes`.

    `files` is (partition value, size in bytes) per live file; the partition value of an unpartitioned table
    is `UNPARTITIONED`."""
    allowed = None if wanted is None else set(wanted)
    small = Counter(p for p, size in files if size < target_bytes and (allowed is None or p in allowed))
    return sorted(p for p, n in small.items() if n >= max(min_files, 2))


def ds_predicate(values: list[str]) -> str:
    """`ds IN ('2026-01-01', ...)` for a partition filter in SQL (values are ISO dates or plain strings)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ds IN ({quoted})"
