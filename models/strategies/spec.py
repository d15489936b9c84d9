"""What a strategy is, as plain data: the pure functions of this package take `StrategySpec`s, not config."""

from __future__ import annotations

from dataclasses import dataclass, field

TARGETS = ("account", "content")
ACTIONS = ("label", "limit", "review", "ban")
STATUSES = ("shadow", "active", "retired")
# Actions that restrict a creator: a jump in their volume is an enforcement change monitoring must know about.
ENFORCING_ACTIONS = ("limit", "ban")
# The key column of the evaluation frame for each target type.
TARGET_KEYS = {"account": "account_id", "content": "content_id"}


class ConditionError(ValueError):
    """A strategy condition that cannot run; the message names the strategy, its file and the fault."""


@dataclass(frozen=True)
class StrategySpec:
    """One strategy of the library: who owns it, what it targets, when it fires and what it does."""

    id: str
    version: int
    status: str
    target: str
    condition: str
    action: str
    severity: int
    owner: str = ""
    description: str = ""
    source: str = ""
    # Optional threshold sweep in backtests: the numeric column whose `column >= t` is varied.
    sweep_column: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        return TARGET_KEYS[self.target]

    def where(self) -> str:
        """How messages name the strategy: `strategy 'id' (file)`."""
        return f"strategy '{self.id}'" + (f" ({self.source})" if self.source else "")


@dataclass(frozen=True)
class CheckedStrategy:
    """A strategy whose condition passed the checker, with the rewritten condition the evaluator runs."""

    spec: StrategySpec
    expression: str
    columns: tuple[str, ...]
    lists: tuple[tuple[str, str], ...]  # (list name, column) pairs used by in_list

    @property
    def fired_columns(self) -> tuple[str, ...]:
        """Columns whose values explain a hit: every referenced column, in_list columns included."""
        return tuple(dict.fromkeys([*self.columns, *(c for _, c in self.lists)]))
