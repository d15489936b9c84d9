"""One state-changing job at a time per lakehouse: an exclusive lock file under `<lakehouse>/_locks/`.

`govern` marks every command that writes tables as a writer scope (`cli.dispatch`); `runtime.open_context`
then takes the lakehouse's lock before the job touches a table and the scope releases it when the command
ends. The lock is `fcntl.flock` on `<lakehouse>/_locks/lakehouse.lock`: the kernel drops it when the process
exits, however it exits (SIGKILL included), so a crashed job never leaves a stale lock. The file holds the
holder's pid, host, job and start time, for the message a waiting job prints when it gives up. A process
takes it once: `govern run` calls the other jobs in-process, and their `open_context` finds it already held.

Local and mounted (NFS, FUSE) filesystems only. Object stores (s3://, abfss://, gs://) have no such lock:
there, concurrent writers rely on the Delta engine's own optimistic concurrency control (delta-spark).
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from creator_governance.paths import is_object_store

log = logging.getLogger("creator_governance")

LOCK_DIR = "_locks"
LOCK_FILE = "lakehouse.lock"
POLL_S = 0.2


class LakehouseBusy(RuntimeError):
    """Another job held the lakehouse's lock for longer than the wait allowed."""


@dataclass
class _Scope:
    job: str
    held: dict[str, int] = field(default_factory=dict)  # lock file -> open descriptor holding the flock


_SCOPES: list[_Scope] = []


@contextmanager
def writer_scope(job: str) -> Iterator[None]:
    """Run the body as state-changing job `job`: `hold` takes lakehouse locks inside it, and leaving the
    outermost scope releases them. Nested scopes (a job calling another in-process) share the outer one."""
    if _SCOPES:
        yield
        return
    scope = _Scope(job)
    _SCOPES.append(scope)
    try:
        yield
    finally:
        _SCOPES.pop()
        for path, fd in scope.held.items():
            _release(path, fd)


def in_writer_scope() -> bool:
    return bool(_SCOPES)


def hold(lakehouse: str, timeout_s: float) -> str | None:
    """Take the lock of `lakehouse` for the current writer scope, waiting up to `timeout_s` seconds for
    another holder; returns the lock file (None outside a writer scope or on an object store). Raises
    `LakehouseBusy` naming the holder when the wait runs out."""
    if not _SCOPES or is_object_store(lakehouse):
        return None
    scope = _SCOPES[0]
    path = lock_path(lakehouse)
    if path in scope.held:
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _wait_for(fd, path, timeout_s):
            raise LakehouseBusy(_busy_message(lakehouse, path, timeout_s))
        _write_holder(fd, scope.job)
    except BaseException:
        os.close(fd)
        raise
    scope.held[path] = fd
    return path


def lock_path(lakehouse: str) -> str:
    """The lock file of a local lakehouse root."""
    root = os.path.realpath(lakehouse.removeprefix("file://"))
    return os.path.join(root, LOCK_DIR, LOCK_FILE)


def holder(lakehouse: str) -> dict | None:
    """What the lock file says about its holder (pid, host, job, started_at), or None when empty."""
    try:
        with open(lock_path(lakehouse), encoding="utf-8") as f:
            text = f.read().strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def _wait_for(fd: int, path: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                log.warning("lakehouse lock: %s does not support flock (%s); running without the lock",
                            path, exc.strerror)
                return True
            raise
        if time.monotonic() >= deadline:
            return False
        if not announced:
            log.warning("lakehouse lock: waiting up to %.0fs for %s", timeout_s, _describe(_read(fd)))
            announced = True
        time.sleep(POLL_S)


def _write_holder(fd: int, job: str) -> None:
    info = {
        "pid": os.getpid(), "host": socket.gethostname(), "job": job,
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)


def _release(path: str, fd: int) -> None:
    try:
        os.ftruncate(fd, 0)  # a reader must not take a finished job for the holder
        fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError as exc:
        log.warning("lakehouse lock: releasing %s: %s", path, exc)
    finally:
        os.close(fd)


def _read(fd: int) -> dict | None:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def _describe(info: dict | None) -> str:
    if not info:
        return "another job (holder not recorded yet)"
    return (f"job '{info.get('job')}' (pid {info.get('pid')} on {info.get('host')}, "
            f"started {info.get('started_at')})")


def _busy_message(lakehouse: str, path: str, timeout_s: float) -> str:
    return (f"lakehouse {lakehouse} is busy: {_describe(holder(lakehouse))} holds {path}; gave up after "
            f"{timeout_s:g}s (tables.lock_timeout_s): re-run when it has finished")

