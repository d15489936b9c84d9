"""One-line reasons for failures: what a command prints instead of a traceback."""

from __future__ import annotations

# Packages whose exceptions may wrap a filesystem fault in their own words (Java, Rust).
FOREIGN_ERRORS = {"py4j", "pyspark", "deltalake"}


def one_line(exc: BaseException) -> str:
    """The first meaningful line of an exception, with its type when that helps; a filesystem fault (disk
    full, read-only, not permitted, not a folder) as the path, the fault and what to do."""
    fault = _foreign_storage_fault(exc)
    if fault is not None:
        return f"{fault.path or 'a path'}: {fault.what} ({fault.code}); {fault.todo}, then re-run"
    text = str(exc).strip()
    name = type(exc).__name__
    if name in {"Py4JJavaError", "AnalysisException", "PySparkException"} or not text:
        first = next((line for line in text.splitlines() if line.strip()), name)
        return f"{name}: {first.strip()}"
    if "\n" in text and not text.startswith("config error"):
        text = text.splitlines()[0]
    return text


def _foreign_storage_fault(exc: BaseException):
    """The filesystem fault behind an OSError or a Spark, Py4J or delta-rs error; not behind our own errors,
    whose message already says what failed (the table layer's `StorageError`, a pipeline step's summary)."""
    from creator_governance.tables.errors import storage_fault

    module = type(exc).__module__.split(".")[0]
    if isinstance(exc, OSError) or module in FOREIGN_ERRORS:
        return storage_fault(exc)
    return None
