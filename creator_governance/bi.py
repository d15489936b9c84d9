"""Stable SQL views for BI on top of the tables; registered by `govern sql`, `govern serve-sql` and the pipeline
(persisted views under the catalog names when they are configured on the delta-spark engine).

A view is registered only when every table it reads exists, so BI tools see a consistent set at any stage.
Their SQL is the documented contract for dashboards (docs/pipeline.md, "BI views"); column names never change silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession


@dataclass(frozen=True)
class View:
    """A named SQL view and the tables it reads."""

    name: str
    sql: str
    reads: tuple[str, ...]
    meaning: str


VIEWS: tuple[View, ...] = (
    View(
        "daily_volume",
        """
        SELECT ds, 'accounts' AS entity, count(*) AS rows FROM accounts GROUP BY ds
        UNION ALL SELECT ds, 'content', count(*) FROM content GROUP BY ds
        UNION ALL SELECT ds, 'engagements', count(*) FROM engagements GROUP BY ds
        UNION ALL SELECT ds, 'orders', count(*) FROM orders GROUP BY ds
        UNION ALL SELECT ds, 'reports', count(*) FROM reports GROUP BY ds
        UNION ALL SELECT ds, 'decisions', count(*) FROM decisions GROUP BY ds
        """,
        ("accounts", "content", "engagements", "orders", "reports", "decisions"),
        "rows per bronze entity and day",
    ),
    View(
        "latest_creator_scores",
        "SELECT * FROM creator_scores WHERE ds = (SELECT max(ds) FROM creator_scores)",
        ("creator_scores",),
        "every account's score, tier and reasons on the latest scored day",
    ),
    View(
        "daily_metrics_total",
        """
        SELECT ds, metric, value, numerator, denominator FROM governance_metrics
        WHERE dimension = 'all' AND dimension_value = 'all'
        """,
        ("governance_metrics",),
        "each metric's total per day (one row per ds and metric)",
    ),
    View(
        "latest_alerts",
        "SELECT * FROM alerts WHERE ds = (SELECT max(ds) FROM alerts)",
        ("alerts",),
        "alerts of the latest monitored day with their root causes",
    ),
)


def register_all(spark: SparkSession, tables) -> list[str]:
    """Register every table under its name, then every BI view whose tables exist; return the names. With catalog
    names (tables.schema on the delta-spark engine) the views are persisted there, for SQL and BI tools outside
    this session; otherwise they are temporary views of the session."""
    names = tables.register_views()
    present = set(names)
    for view in VIEWS:
        if set(view.reads) <= present:
            if tables.persisted:
                tables.engine.persist_view(tables.qualified(view.name), view.sql, view.meaning)
            else:
                spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {view.name} AS {view.sql}")
            names.append(view.name)
    return names
