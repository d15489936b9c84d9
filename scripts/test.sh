#!/usr/bin/env bash
# Install the project into .venv (once per pyproject.toml: scripts/venv.sh) and run the whole test suite with the
# import contracts.
# TEST_WORKERS (default 2): test processes, each with its own Spark session; a test file stays in one process.
# TEST_WORKERS=0 runs everything in this process (the slow, machine-filling tests do).
# GOVERN_TEST_CODEGEN=1: the shared test session generates code as production does, as CI runs it (by default it
# evaluates interpreted, quicker on small frames; see tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
. scripts/venv.sh
project_venv spark,dev
bash scripts/lint_imports.sh
python -m pytest -n "${TEST_WORKERS:-2}" --dist loadfile --durations=25 "$@"
