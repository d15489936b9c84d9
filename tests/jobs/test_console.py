"""What a newcomer sees: a job's console holds the project's own lines only, and a bad setting still says why."""

import os
import re
import subprocess
import sys

# Lines Spark, the JVM, log4j, netlib or xgboost print on their own.
FOREIGN = re.compile(r"WARNING: Using incubator modules|log4j|Setting default log level|setLogLevel|NativeCodeLoader|"
                     r"netlib|DAGScheduler|BlockManager|SparkContext|\b(WARN|INFO)\b.*\b(spark|Spark|org\.apache)|"
                     r"got rank|XGBoost-PySpark")


def govern(*argv, cwd):
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    return subprocess.run([sys.executable, "-m", "creator_governance.cli", *argv], capture_output=True, text=True,
                          env=env, timeout=600, cwd=cwd)


def test_a_spark_job_prints_only_its_own_lines_and_verbose_shows_spark_s(tmp_path):
    done = govern("simulate", "--out", str(tmp_path / "landing"), "--accounts", "60", "--days", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "simulated 60 accounts" in output
    assert not [line for line in output.splitlines() if FOREIGN.search(line)], output
    # --verbose lets Spark's own lines through: any Spark job shows them, a query is the cheapest one
    loud = govern("sql", "--lakehouse", str(tmp_path / "lakehouse"), "--verbose",
                  "SELECT count(*) AS n FROM range(1000)", cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert re.search(r"\b1000\b", loud.stdout), loud.stdout
    assert FOREIGN.search(loud.stdout + loud.stderr)


def test_a_bad_conf_still_prints_its_one_line_reason(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("spark: {shuffle_partitions: many}\n")
    done = govern("simulate", "--out", str(tmp_path / "landing"), "--accounts", "60", "--conf", str(bad), cwd=tmp_path)
    assert done.returncode != 0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "spark.shuffle_partitions" in lines[0] and str(bad) in lines[0], lines


def test_the_lines_no_log_level_reaches_are_the_ones_dropped():
    from creator_governance.runtime import JVM_NOISE

    dropped = ["WARNING: Using incubator modules: jdk.incubator.vector",
               "Using Spark's default log4j profile: org/apache/spark/log4j2-defaults.properties",
               "netlib-blas: JNI_OnLoad: dlopen(libblas.so.3) failed: libblas.so.3: cannot open shared object file",
               "[16:31:35] Task 1 got rank 1"]
    kept = ["Traceback (most recent call last):", "ValueError: bad row 17 in accounts.csv",
            "12:00:01 ERROR Executor: Exception in task 0.0", "[16:31:35] WARNING: something xgboost says"]
    assert all(JVM_NOISE.match(line) for line in dropped)
    assert not any(JVM_NOISE.match(line) for line in kept)


def test_the_demo_s_tables_show_numbers_and_lists_for_people():
    from creator_governance.jobs.demo import cell

    assert cell(0.08510053987494887) == "0.085"
    assert cell(1234567) == "1,234,567"
    assert cell(["shared device", "shared ip"]) == "shared device, shared ip"
    assert cell(None) == "" and cell(True) == "yes" and cell("S-a0000158") == "S-a0000158"
