#!/usr/bin/env bash
# Start or stop a Spark standalone master and one worker from the installed pyspark, bound to 127.0.0.1.
#   bash scripts/local_cluster.sh start [PORT]   -> prints the master URL; state in .spark/cluster/
#   bash scripts/local_cluster.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
state=.spark/cluster
case "${1:-}" in
  start)
    spark_home=$(python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
    export SPARK_LOCAL_IP=127.0.0.1 SPARK_HOME="$spark_home"
    port=${2:-7077}
    mkdir -p "$state"
    "$spark_home/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" \
      --webui-port 0 > "$state/master.log" 2>&1 &
    echo $! > "$state/master.pid"
    "$spark_home/bin/spark-class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 2 --memory 2g \
      --webui-port 0 "spark://127.0.0.1:$port" > "$state/worker.log" 2>&1 &
    echo $! > "$state/worker.pid"
    for _ in $(seq 1 120); do
      grep -q "Successfully registered with master" "$state/worker.log" 2>/dev/null && break
      sleep 1
    done
    grep -q "Successfully registered with master" "$state/worker.log" || { echo "worker did not register" >&2; exit 1; }
    echo "spark://127.0.0.1:$port"
    ;;
  stop)
    for role in worker master; do
      [ -f "$state/$role.pid" ] && kill "$(cat "$state/$role.pid")" 2>/dev/null || true
      rm -f "$state/$role.pid"
    done
    ;;
  *) echo "usage: $0 start [PORT] | stop" >&2; exit 2 ;;
esac
