#!/usr/bin/env bash
# The import contracts (pyproject's [tool.importlinter]) over the layout the wheel installs: the card's top-level
# jobs/, features/ and models/ folders are the subpackages creator_governance.jobs/.features/.models (setuptools
# package-dir), which an editable install maps with an import hook that import-linter's module finder cannot
# follow. So the check runs on a tree of symbolic links shaped like the installed package (build/import-tree,
# rebuilt every time; grimp follows the links), from inside that tree so the repository's own folders are not on
# the path. Extra arguments go to lint-imports.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
tree="$root/build/import-tree"
rm -rf "$tree"
mkdir -p "$tree/creator_governance"
for entry in "$root"/creator_governance/*; do
  ln -s "$entry" "$tree/creator_governance/$(basename "$entry")"
done
for package in jobs features models; do
  ln -s "$root/$package" "$tree/creator_governance/$package"
done
cd "$tree"
lint-imports "$root/pyproject.toml" "$@"
