"""The daily jobs. One module per job, each with `main(argv) -> int`; `JOBS` is the one registry that the
`govern` CLI, spark-submit (`jobs/submit.py`) and the notebooks share."""

# command -> module. A command whose module is None is registered but not built yet (see PLANNED).
JOBS: dict[str, str | None] = {
    "simulate": "jobs.simulate",
    "ingest": "jobs.ingest",
    "features": "jobs.build_features",
    "train": "jobs.train",
    "score": "jobs.score",
    "strategies": "jobs.strategies",
    "queue": "jobs.queue",
    "credit": "jobs.credit",
    "metrics": "jobs.metrics",
    "monitor": "jobs.monitor",
    "maintain": "jobs.maintain",
    "run": "jobs.run",
    "demo": "jobs.demo",
    "dashboard": "jobs.dashboard",
    "tables": "jobs.list_tables",
    "sql": "jobs.sql",
    "detect": "jobs.detect",
    "rca": "jobs.rca",
    "experiment": "jobs.experiment",
    "serve-sql": "jobs.serve_sql",
}

# What each command does, for `govern --help`.
SUMMARIES: dict[str, str] = {
    "simulate": "write a synthetic landing zone with planted abuse, incidents and ground truth",
    "ingest": "ingest every new file of a landing zone into bronze Delta tables",
    "features": "compute creator_features and content_features for --ds or a range",
    "train": "train the violation model (distributed XGBoost)",
    "score": "score every account for --ds or a range",
    "strategies": "evaluate strategies for --ds; `strategies backtest` replays them over history",
    "credit": "compute creator_credit (creator and merchant credit score) for --ds or a range",
    "metrics": "compute governance_metrics for --ds or a range",
    "monitor": "detect metric anomalies and their root causes for --ds or a range",
    "maintain": "compact the small files of --ds or a range's partitions; vacuum every table when due",
    "run": "the whole daily pipeline, in order, for each day of --from..--to",
    "demo": "simulate, then run everything on the embedded default",
    "dashboard": "render the day's self-contained HTML dashboard under <lakehouse>/_dashboard",
    "tables": "list every table: name, path, engine, latest version, row count",
    "sql": "run a Spark SQL query with every table registered under its name",
    "queue": "build the review queue (risk_queue) for --ds or a range: every signal in one priority",
    "detect": "the metric anomaly detector on any CSV time series",
    "rca": "root cause of one move per leaf-table CSV, over combinations of dimension values",
    "experiment": "analyse an A/B test or a non-randomised launch",
    "serve-sql": "serve every table over HiveServer2 (JDBC/ODBC) on 127.0.0.1",
}

# Issue that builds each command not built yet.
PLANNED: dict[str, int] = {
}
