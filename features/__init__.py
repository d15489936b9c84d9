"""Pure feature code (Spark DataFrames in, DataFrames out), installed as `creator_governance.features`."""

# The repository's top-level `features/` folder is installed as `creator_governance.features` (pyproject's package-dir):
# imported under any other name (a bare `import features` from the repository root) it would be a second copy of the
# code beside the real one, and it would shadow a user's own `features` package.
if __name__ != "creator_governance.features":
    raise ImportError(
        f"the repository's features/ folder was imported as {__name__!r}: it is the package "
        f"creator_governance.features; "
        f"install the project (pip install -e '.[spark]') and import creator_governance.features instead")
