"""Shared by the benchmark scripts: a generated section of a doc between two markers, the code's git state, and
`govern` run in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_section(doc_path: Path, begin: str, end: str, text: str, *, title: str) -> None:
    """Replace `text` (which carries both markers) between the markers of `doc_path`, or append it under a
    `## title` heading once; re-reads the file just before and replaces it atomically."""
    doc = doc_path.read_text() if doc_path.exists() else ""
    if doc.count(begin) == 1 and doc.count(end) == 1 and doc.index(begin) < doc.index(end):
        doc = doc[:doc.index(begin)] + text + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip() + f"\n\n## {title}\n\n" + text + "\n"
    fd, tmp = tempfile.mkstemp(dir=doc_path.parent, prefix=f".{doc_path.stem}.", suffix=".md")
    with os.fdopen(fd, "w") as fh:
        fh.write(doc)
    os.chmod(tmp, doc_path.stat().st_mode & 0o777 if doc_path.exists() else 0o644)
    os.replace(tmp, doc_path)


def git_state(repo: Path, files: tuple[str, ...]) -> str:
    """HEAD's short hash, plus those of `files` that differ from it (runs are often of uncommitted code)."""
    def git(*cmd: str) -> str:
        return subprocess.run(["git", *cmd], cwd=repo, capture_output=True, text=True).stdout.rstrip()
    changed = git("status", "--porcelain", "--", *files).splitlines()
    dirty = ", ".join(line[3:] for line in changed)
    return git("rev-parse", "--short", "HEAD").strip() + (f" with uncommitted {dirty}" if dirty else "")


def govern(argv: list[str], *, cwd: Path, log: Path) -> float:
    """Run `govern <argv>` in its own process (this interpreter) from `cwd`, its output appended to `log`; its wall
    seconds. A failure stops the benchmark naming the command and the log."""
    start = time.monotonic()
    with open(log, "a") as fh:
        done = subprocess.run([sys.executable, "-m", "creator_governance.cli", *argv], cwd=cwd, stdout=fh,
                              stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"govern {' '.join(argv)} failed ({done.returncode}); see {log}")
    return round(time.monotonic() - start, 1)
