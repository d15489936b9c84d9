"""spark-submit entry point: `spark-submit [options] scripts/spark_entry.py COMMAND [ARGS]` runs one govern command.

Ship the project as a zip: the wheel from `python -m pip wheel --no-deps -w dist .` copied to a `.zip` name
(`--py-files dist/creator_governance.zip`: executors put .zip/.egg/.jar on sys.path, never .whl; docs/pipeline.md);
the session comes from spark-submit (master, resources), the jobs only add their SQL settings to it.
"""

import sys

from creator_governance.cli import dispatch

if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: spark-submit scripts/spark_entry.py COMMAND [ARGS]", file=sys.stderr)
        sys.exit(2)
    sys.exit(dispatch(sys.argv[1], sys.argv[2:]))
