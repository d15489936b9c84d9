"""The strategy library: `conf/strategies/*.yaml` read into frozen, validated definitions (StrategyDefinition,
creator_governance/settings/strategies.py).

A file holds one strategy (a mapping) or several (`strategies:` followed by a list). A typo'd key, a bad
value or an id defined twice fails with the file and the key. Conditions are checked later, against the
evaluation schema, by models.strategies.checker.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from creator_governance.config import conf_dir
from creator_governance.settings.strategies import StrategyDefinition


class LibraryError(ValueError):
    """A strategy file that cannot be used; the message names the file and the fault."""


def library_dir(configured: str | None = None) -> Path:
    """The library folder: the configured one, else conf/strategies."""
    return Path(configured) if configured else conf_dir() / "strategies"


def load_library(folder: str | Path | None = None) -> list[StrategyDefinition]:
    """Every strategy of the folder's YAML files, sorted by id."""
    root = library_dir(str(folder) if folder else None)
    if not root.is_dir():
        raise LibraryError(f"strategy library {root}: no such folder")
    seen: dict[str, str] = {}
    out: list[StrategyDefinition] = []
    for path in sorted(root.glob("*.yaml")):
        for item in _entries(path):
            rel = _display(path)
            try:
                definition = StrategyDefinition.model_validate({**item, "source": rel})
            except ValidationError as exc:
                sid = item.get("id", "?") if isinstance(item, dict) else "?"
                faults = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: "
                                   f"{'unknown key' if e['type'] == 'extra_forbidden' else e['msg']}"
                                   for e in exc.errors())
                raise LibraryError(f"strategy '{sid}' ({rel}): {faults}") from None
            if definition.id in seen:
                raise LibraryError(f"strategy '{definition.id}' is defined twice: {seen[definition.id]} and {rel}")
            seen[definition.id] = rel
            out.append(definition)
    return sorted(out, key=lambda d: d.id)


def _display(path: Path) -> str:
    parts = path.resolve().parts
    return "/".join(parts[-3:]) if len(parts) >= 3 else str(path)


def _entries(path: Path) -> list[dict]:
    try:
        body = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise LibraryError(f"{_display(path)}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if body is None:
        return []
    if isinstance(body, dict) and set(body) == {"strategies"}:
        body = body["strategies"]
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list) and all(isinstance(x, dict) for x in body):
        return body
    raise LibraryError(f"{_display(path)}: expected a strategy mapping or `strategies:` with a list")
