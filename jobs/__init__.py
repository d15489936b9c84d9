"""The daily jobs and commands, one module each. `jobs.registry` is the one registry (name, parser, run,
whether it writes, description) that the `govern` CLI, spark-submit, the notebooks and `govern run` share."""
