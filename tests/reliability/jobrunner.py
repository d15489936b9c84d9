"""Run `govern` jobs in one child process, printing a timed line per step, so a test can SIGKILL it mid-job.

    python jobrunner.py PLAN.json

PLAN.json is a list of steps `{"job": "score", "argv": [...], "snapshot": "DIR" or null, "lakehouse": "DIR"}`.
Each step runs the job's registered entry point exactly as `govern JOB ARGV` does (`creator_governance.cli
.dispatch`). Before a step with `snapshot`, the lakehouse is copied there first: the state the job starts from.
One Spark session is started first and shared by the steps (every job joins the active session), so the
JVM start-up is paid once and a kill moment can be counted from the `ready` line, i.e. inside the jobs.

Lines on stdout: `ready <t>`, then per step `start <job> <t>` and `done <job> <seconds> <exit code>`, where
`<t>` is time.monotonic() of this process.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time


def start_session():
    """The session the jobs join: small, quiet, UTC, one core-pair (the tests' session settings)."""
    from pyspark.sql import SparkSession

    from creator_governance.runtime import QUICK_JIT_OPTIONS, REQUIRED_SQL_CONF

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    scratch = os.path.abspath(".spark")
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("creator-governance-faults")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.warehouse.dir", os.path.join(scratch, "warehouse"))
        .config("spark.driver.extraJavaOptions",
                f"-XX:+UseSerialGC {QUICK_JIT_OPTIONS} -Dderby.system.home={scratch}")
    )
    for key, value in REQUIRED_SQL_CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main(plan_file: str) -> int:
    from creator_governance.cli import dispatch

    steps = json.load(open(plan_file))
    start_session()
    print(f"ready {time.monotonic():.3f}", flush=True)
    for step in steps:
        if step.get("snapshot"):
            shutil.copytree(step["lakehouse"], step["snapshot"], symlinks=True)
        print(f"start {step['job']} {time.monotonic():.3f}", flush=True)
        began = time.monotonic()
        code = dispatch(step["job"], step["argv"])
        print(f"done {step['job']} {time.monotonic() - began:.3f} {code}", flush=True)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
