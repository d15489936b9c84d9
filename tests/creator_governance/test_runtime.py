"""The runtime: each step's jobs carry its group and description in the Spark UI; the sessions it starts."""

from __future__ import annotations

import os
import subprocess
import sys

from creator_governance.runtime import is_connect, spark_work


def test_the_work_of_a_step_is_named_and_the_labels_restored(spark):
    sc = spark.sparkContext
    assert not is_connect(spark)
    sc.setJobGroup("outer", "the caller's own group")
    with spark_work(spark, "govern score", "govern score ds=2026-01-05"):
        assert sc.getLocalProperty("spark.job.description") == "govern score ds=2026-01-05"
        spark.range(10).count()
    assert sc.statusTracker().getJobIdsForGroup("govern score")  # the action ran in the step's group
    assert sc.getLocalProperty("spark.jobGroup.id") == "outer"
    assert sc.getLocalProperty("spark.job.description") == "the caller's own group"
    sc.setLocalProperty("spark.jobGroup.id", None)
    sc.setLocalProperty("spark.job.description", None)


SESSION_PAGES = """
from creator_governance.runtime import get_spark
from creator_governance.settings import SparkSettings

def page_bytes(**conf):
    spark = get_spark(SparkSettings(master="local[1]", conf=conf))
    size = spark.sparkContext._jsc.sc().env().memoryManager().pageSizeBytes()
    spark.stop()
    return size

print("pages:", page_bytes(), page_bytes(**{"spark.buffer.pageSize": "4m"}))
"""


def test_a_local_session_we_start_uses_small_memory_pages_unless_told_otherwise(tmp_path):
    # A new process: get_spark would return the suite's session. The page size is fixed when a SparkContext starts.
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    for variable in ("PYSPARK_GATEWAY_PORT", "SPARK_REMOTE"):  # a session of our own, not a gateway's or Connect's
        env.pop(variable, None)
    done = subprocess.run([sys.executable, "-c", SESSION_PAGES], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("pages:"))
    default, configured = map(int, line.split()[1:])
    # LOCAL_PAGE_SIZE: 2 MB less a long[]'s header, so that a page fills one 2 MB G1 region instead of taking two
    # (Spark's own default here would be 64 MB less the header)
    assert default == 2 * 1024 * 1024 - 16
    assert configured == 4 * 1024 * 1024
