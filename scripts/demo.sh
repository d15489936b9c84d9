#!/usr/bin/env bash
# Install the project into .venv (if needed), then simulate a small creator ecosystem and run the whole
# pipeline on it: `govern demo`. Extra arguments go to `govern demo` (e.g. --accounts 20000 --days 35).
set -euo pipefail
cd "$(dirname "$0")/.."
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e '.[spark]'
export PYSPARK_PYTHON="$PWD/.venv/bin/python"
govern demo "$@"
