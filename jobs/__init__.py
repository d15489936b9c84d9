"""The daily jobs and commands, one module each. `jobs.registry` is the one registry (name, parser, run,
whether it writes, description) that the `govern` CLI, spark-submit, the notebooks and `govern run` share."""

# The repository's top-level `jobs/` folder is installed as `creator_governance.jobs` (pyproject's package-dir):
# imported under any other name (a bare `import jobs` from the repository root) it would be a second copy of the
# code beside the real one, and it would shadow a user's own `jobs` package.
if __name__ != "creator_governance.jobs":
    raise ImportError(
        f"the repository's jobs/ folder was imported as {__name__!r}: it is the package creator_governance.jobs; "
        f"install the project (pip install -e '.[spark]') and import creator_governance.jobs instead")
