"""Errors of the table layer, each naming the table and the fault."""


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
