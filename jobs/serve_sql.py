"""`govern serve-sql`: every table and BI view over the HiveServer2 protocol (JDBC/ODBC) on 127.0.0.1.

The Spark Thrift Server ships in the pip pyspark jars. It runs inside this process's session in single-session
mode, so the views registered here are what Tableau, Power BI, Superset or Metabase see; they are refreshed
every --refresh seconds so new table versions show up without a restart.
"""

from __future__ import annotations

import signal
import threading
import time

from creator_governance.bi import register_all
from creator_governance.jobargs import config_of, job_parser
from creator_governance.logs import setup_logging
from creator_governance.runtime import JobContext, open_context

THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"


def parser():
    parser = job_parser("govern serve-sql", "Serve the lakehouse over JDBC/ODBC (HiveServer2 protocol).",
                        dates=False)
    parser.add_argument("--port", type=int, default=10001, help="TCP port on 127.0.0.1 (default 10001)")
    parser.add_argument("--refresh", type=float, default=60.0,
                        help="seconds between re-registering views on the latest table versions (default 60)")
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="stop by itself after this many seconds (default: run until interrupted)")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def start(ctx: JobContext, port: int) -> list[str]:
    """Register every table and view, then start the Thrift server on 127.0.0.1:`port`."""
    spark = ctx.spark
    if spark.conf.get("spark.sql.hive.thriftServer.singleSession", "false") != "true":
        raise RuntimeError("serve-sql needs a session started with spark.sql.hive.thriftServer.singleSession=true "
                           "(so JDBC clients see its views); start it with `govern serve-sql`")
    spark.conf.set("hive.server2.thrift.port", str(port))
    spark.conf.set("hive.server2.thrift.bind.host", "127.0.0.1")
    spark.conf.set("hive.server2.transport.mode", "binary")
    names = register_all(spark, ctx.tables)
    jvm = spark._jvm
    server_class = getattr(jvm, THRIFT_CLASS.rsplit(".", 1)[0])
    getattr(server_class, THRIFT_CLASS.rsplit(".", 1)[1]).startWithContext(spark._jsparkSession.sqlContext())
    return names


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    overrides = {"spark": {"conf": {"spark.sql.hive.thriftServer.singleSession": "true"}}}
    ctx = open_context(config_of(args, overrides))
    names = start(ctx, args.port)
    print(f"serving {len(names)} tables and views on jdbc:hive2://127.0.0.1:{args.port}/default: {', '.join(names)}",
          flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    deadline = None if args.max_seconds is None else time.monotonic() + args.max_seconds
    try:
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            stop.wait(args.refresh if deadline is None else min(args.refresh, max(0.0, deadline - time.monotonic())))
            if not stop.is_set():
                register_all(ctx.spark, ctx.tables)
    except KeyboardInterrupt:
        pass
    print("stopped", flush=True)
    ctx.spark.stop()
    return 0
