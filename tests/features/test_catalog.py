"""The feature catalog covers every output column and docs/features.md is generated from it."""

from __future__ import annotations

from pathlib import Path

from creator_governance.features.catalog import CATALOG, by_name, render_markdown
from creator_governance.features.content import CONTENT_COLUMNS
from creator_governance.features.creator import CANONICAL_COLUMNS, FEATURE_COLUMNS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "features.md"


def test_every_feature_column_is_in_the_catalog_and_nothing_else():
    assert set(by_name("creator_features")) == set(FEATURE_COLUMNS)
    assert set(by_name("content_features")) == set(CONTENT_COLUMNS)
    assert len({(f.table, f.name) for f in CATALOG}) == len(CATALOG)
    assert {f.name for f in CATALOG if f.canonical} == set(CANONICAL_COLUMNS)


def test_docs_are_generated_from_the_catalog():
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), \
        "docs/features.md is stale: run python scripts/gen_feature_docs.py"
