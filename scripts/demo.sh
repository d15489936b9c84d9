#!/usr/bin/env bash
# Install the project into .venv (once per pyproject.toml: scripts/venv.sh), then simulate a small creator
# ecosystem and run the whole pipeline on it: `govern demo`. Extra arguments go to `govern demo` (e.g.
# --accounts 20000 --days 35).
set -euo pipefail
cd "$(dirname "$0")/.."
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
. scripts/venv.sh
project_venv spark
govern demo "$@"
