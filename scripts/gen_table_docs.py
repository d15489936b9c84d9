"""Write the table catalog section of docs/tables.md from creator_governance/catalog.py."""

from pathlib import Path

from creator_governance.catalog import BEGIN, END, render_markdown

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "tables.md"
    text = target.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{target}: the markers {BEGIN} and {END} are missing")
    before, rest = text.split(BEGIN, 1)
    target.write_text(before + BEGIN + "\n" + render_markdown() + END + rest.split(END, 1)[1], encoding="utf-8")
    print(f"wrote {target}")
