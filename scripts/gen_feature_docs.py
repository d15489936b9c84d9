"""Write docs/features.md from the feature catalog (features/catalog.py)."""

from pathlib import Path

from creator_governance.features.catalog import render_markdown

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "features.md"
    target.write_text(render_markdown(), encoding="utf-8")
    print(f"wrote {target}")
