"""`govern serve-sql` serves the lakehouse over HiveServer2: a real beeline client queries it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pyspark


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_beeline_queries_tables_through_the_thrift_server(spark, tables, lakehouse, tmp_path):
    tables.append("sales", spark.createDataFrame([("o1", 5.0), ("o2", 7.5)], "order_id string, amount double"))
    port = free_port()
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    server = subprocess.Popen(
        [sys.executable, "-m", "creator_governance.cli", "serve-sql", "--lakehouse", str(lakehouse),
         "--port", str(port), "--max-seconds", "240"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=tmp_path,
        start_new_session=True,
    )
    try:
        banner = server.stdout.readline()
        assert f"jdbc:hive2://127.0.0.1:{port}/default" in banner and "sales" in banner
        beeline = Path(pyspark.__file__).parent / "bin" / "beeline"
        done = subprocess.run(
            [str(beeline), "-u", f"jdbc:hive2://127.0.0.1:{port}/default", "--outputformat=csv2", "--silent=true",
             "-e", "SELECT count(*) AS n, sum(amount) AS total FROM sales;"],
            capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path,
        )
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        assert lines[-2:] == ["n,total", "2,12.5"], done.stdout + done.stderr
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    assert server.returncode is not None
