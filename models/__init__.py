"""Pure model and governance logic, one subpackage per domain, installed as `creator_governance.models`."""

# The repository's top-level `models/` folder is installed as `creator_governance.models` (pyproject's package-dir):
# imported under any other name (a bare `import models` from the repository root) it would be a second copy of the
# code beside the real one, and it would shadow a user's own `models` package.
if __name__ != "creator_governance.models":
    raise ImportError(
        f"the repository's models/ folder was imported as {__name__!r}: it is the package creator_governance.models; "
        f"install the project (pip install -e '.[spark]') and import creator_governance.models instead")
