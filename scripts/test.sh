#!/usr/bin/env bash
# Install the project into .venv (if needed) and run the whole test suite with the import contracts.
# TEST_WORKERS (default 2): test processes, each with its own Spark session; a test file stays in one process.
# TEST_WORKERS=0 runs everything in this process (the slow, machine-filling tests do).
set -euo pipefail
cd "$(dirname "$0")/.."
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e '.[spark,dev]'
export PYSPARK_PYTHON="$PWD/.venv/bin/python"
bash scripts/lint_imports.sh
python -m pytest -n "${TEST_WORKERS:-2}" --dist loadfile --durations=25 "$@"
