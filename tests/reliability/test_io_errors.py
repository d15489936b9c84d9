"""Disk full, read-only, not permitted, not a folder: one clear line naming the table or path and what to do,
a non-zero exit, and the table left at its previous version with nothing of the failed write behind.

The faults are real where the box allows it (tests run as root, so chmod stops nothing): a 1 MB tmpfs fills
up (ENOSPC), the same tmpfs remounted read-only (EROFS), `chattr +i` on the Delta log (EPERM, raised by
delta-rs at commit), a lakehouse under a regular file (ENOTDIR). EACCES, which root never meets, is injected
at the table layer's write boundary (FAULT_HOOK). Tests needing root, mount or chattr skip elsewhere.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess

import pytest
from pyspark.sql import functions as F

from creator_governance.cli import dispatch, one_line
from creator_governance.tables import StorageError, Tables, deltars


def _mount_tmpfs(where, size: str) -> None:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root and mount to build a small filesystem")
    where.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture()
def small_fs(tmp_path):
    """A 1 MB filesystem (tmpfs), unmounted afterwards (lazily: the JVM may still hold a failed file)."""
    mount = tmp_path / "small"
    _mount_tmpfs(mount, "1m")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _rows(spark, n: int, day: str, *, wide: bool = False):
    df = spark.range(n).withColumn("ds", F.lit(day).cast("date"))
    # Hex digests barely compress: n wide rows take ~n * 150 bytes on disk.
    payload = F.concat(F.sha2(F.col("id").cast("string"), 256), F.sha2(F.col("id").cast("string"), 512))
    return df.withColumn("payload", payload if wide else F.lit("x"))


def _parquet_files(root) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
            if f.endswith(".parquet")}


def _live_files(tables: Tables, name: str) -> set[str]:
    root = tables.path(name)
    return {os.path.relpath(deltars._local_path(u), root) for u in tables.engine._table(root).file_uris()}


def test_disk_full_names_the_table_and_leaves_it_at_its_previous_version(spark, small_fs):
    tables = Tables(spark, str(small_fs / "lake"), engine="delta-rs")
    tables.append("events", _rows(spark, 5, "2026-01-01"))

    with pytest.raises(StorageError) as raised:
        tables.append("events", _rows(spark, 10_000, "2026-01-02", wide=True))

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"cannot write table 'events' at {small_fs}/lake/events")
    assert "no space left on device (ENOSPC)" in message and "--lakehouse" in message
    assert message.endswith("then re-run; the table is unchanged at version 0")
    assert tables.version("events") == 0 and tables.read("events").count() == 5
    # No file of the failed write stays behind (Spark may hold a deleted one open until its task's streams close).
    assert _parquet_files(tables.path("events")) == _live_files(tables, "events")
    assert os.listdir(os.path.join(tables.path("events"), deltars.STAGING)) == []


def test_disk_full_through_the_cli_is_one_line_and_exit_1(spark, small_fs, tmp_path, capsys):
    landing = tmp_path / "landing" / "sessions"
    landing.mkdir(parents=True)
    with open(landing / "s.jsonl", "w") as f:
        for i in range(20_000):  # ~2.6 MB of incompressible ids: more than the 1 MB filesystem holds
            f.write(json.dumps({"event_id": f"e{i:06d}{os.urandom(16).hex()}", "account_id": f"a{i % 50}",
                                "ts": "2026-01-01T10:00:00Z", "device_id": os.urandom(24).hex()}) + "\n")
    lake = small_fs / "lake"

    code = dispatch("ingest", ["--landing", str(tmp_path / "landing"), "--lakehouse", str(lake)])

    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("govern")]
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith("govern ingest: error: cannot write table '")
    assert f"at {lake}/" in err[0] and "no space left on device (ENOSPC)" in err[0]
    assert "then re-run;" in err[0]
    table = err[0].split("cannot write table '")[1].split("'")[0]
    if os.path.isdir(lake / table / "_delta_log"):
        assert _parquet_files(lake / table) == _live_files(Tables(spark, str(lake), engine="delta-rs"), table)


def test_read_only_filesystem_says_so_and_commits_nothing(spark, tmp_path):
    mount = tmp_path / "ro"
    _mount_tmpfs(mount, "4m")
    try:
        tables = Tables(spark, str(mount / "lake"), engine="delta-rs")
        tables.append("events", _rows(spark, 3, "2026-01-01"))
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)

        with pytest.raises(StorageError) as raised:
            tables.overwrite_partitions("events", _rows(spark, 4, "2026-01-01"), ["2026-01-01"])

        assert "read-only file system (EROFS)" in str(raised.value)
        assert "remount it read-write" in str(raised.value)
        assert str(raised.value).endswith("the table is unchanged at version 0")
        assert tables.read("events").count() == 3
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_immutable_delta_log_fails_the_commit_cleanly(spark, tables, lakehouse):
    """delta-rs meets EPERM at commit: its Rust message is recognised and the moved files are removed."""
    if os.geteuid() != 0 or not shutil.which("chattr"):
        pytest.skip("needs root and chattr")
    tables.append("events", _rows(spark, 3, "2026-01-01"))
    log_dir = lakehouse / "events" / "_delta_log"
    if subprocess.run(["chattr", "+i", str(log_dir)], capture_output=True).returncode:
        pytest.skip("this filesystem has no immutable flag")
    try:
        with pytest.raises(StorageError) as raised:
            tables.append("events", _rows(spark, 4, "2026-01-02"))
    finally:
        subprocess.run(["chattr", "-i", str(log_dir)], check=True)

    assert "operation not permitted (EPERM)" in str(raised.value) and "chattr -i" in str(raised.value)
    assert str(raised.value).endswith("the table is unchanged at version 0")
    assert _parquet_files(lakehouse / "events") == _live_files(tables, "events")
    assert tables.append("events", _rows(spark, 4, "2026-01-02")).version == 1  # and the next write works


def test_permission_denied_while_moving_files_in(spark, tables, lakehouse, monkeypatch):
    """Root is never refused (EACCES): raised at the write boundary, as a FUSE mount or NFS would."""
    tables.append("events", _rows(spark, 3, "2026-01-01"))

    def refuse(phase):
        if phase == "moving":
            raise PermissionError(errno.EACCES, "Permission denied", str(lakehouse / "events" / "ds=2026-01-02"))

    monkeypatch.setattr(deltars, "FAULT_HOOK", refuse)
    with pytest.raises(StorageError) as raised:
        tables.append("events", _rows(spark, 4, "2026-01-02"))

    assert str(raised.value) == (
        f"cannot write table 'events' at {lakehouse}/events/ds=2026-01-02: permission denied (EACCES); give the "
        "user running govern write access to that folder, then re-run; the table is unchanged at version 0")
    assert _parquet_files(lakehouse / "events") == _live_files(tables, "events")
    assert not (lakehouse / "events" / deltars.STAGING).exists() or not os.listdir(
        lakehouse / "events" / deltars.STAGING)


def test_lakehouse_under_a_regular_file(spark, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the lakehouse should be")

    with pytest.raises(StorageError) as raised:
        Tables(spark, str(blocker / "lake"), engine="delta-rs").append("events", _rows(spark, 2, "2026-01-01"))
    assert "not a folder (ENOTDIR)" in str(raised.value) and str(raised.value).endswith("nothing was written")

    code = dispatch("features", ["--ds", "2026-01-01", "--lakehouse", str(blocker / "lake")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err == [
        f"govern features: error: {blocker}/lake: a parent of the path is a file, not a folder (ENOTDIR); "
        "point --lakehouse (tables.lakehouse) at a folder, then re-run"]


def test_one_line_recognises_faults_by_errno_and_leaves_other_errors_alone():
    assert one_line(OSError(errno.EROFS, "Read-only file system", "/data/lake")) == (
        "/data/lake: read-only file system (EROFS); remount it read-write or point --lakehouse at a writable "
        "location, then re-run")
    assert one_line(FileNotFoundError(errno.ENOENT, "No such file", "/x")) == "[Errno 2] No such file: '/x'"
    # Our own wrappers keep their words even when the cause was a fault.
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/x")
        except OSError as inner:
            raise RuntimeError("step score failed for 2026-01-02: /x: no space left on device") from inner
    except RuntimeError as outer:
        assert one_line(outer) == "step score failed for 2026-01-02: /x: no space left on device"


class _JavaThrowable:
    """Stands in for a py4j JavaObject: toString() and getCause()."""

    def __init__(self, text, cause=None):
        self.text, self.cause = text, cause

    def toString(self):  # noqa: N802 - the Java name
        return self.text

    def getCause(self):  # noqa: N802
        return self.cause


def test_faults_are_found_in_java_cause_chains_and_rust_messages():
    from creator_governance.tables.errors import storage_fault

    wrapped = RuntimeError("An error occurred while calling o75.parquet.")
    wrapped.java_exception = _JavaThrowable(
        "org.apache.spark.SparkException: [TASK_WRITE_FAILED] Task failed while writing rows to "
        "file:/lake/events/_staging/r1.", _JavaThrowable("java.io.IOException: Disk quota exceeded"))
    fault = storage_fault(wrapped)
    assert (fault.code, fault.path) == ("EDQUOT", "/lake/events/_staging/r1")
    rust = Exception("Generic LocalFileSystem error: Unable to open file /lake/t/_delta_log/_commit_1.json.tmp: "
                     "Read-only file system (os error 30)")
    assert (storage_fault(rust).code, storage_fault(rust).path) == ("EROFS", "/lake/t/_delta_log/_commit_1.json.tmp")
    assert storage_fault(ValueError("no fault here: /lake/t")) is None
