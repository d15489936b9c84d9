"""What a strategy is: the pure functions of this package take the library's validated definitions
(`StrategyDefinition`, frozen plain data read by jobs/library.py) as they are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from creator_governance.settings.strategies import StrategyDefinition

TARGETS = ("account", "content")
ACTIONS = ("label", "limit", "review", "ban")
STATUSES = ("shadow", "active", "retired")
# Actions that restrict a creator: a jump in their volume is an enforcement change monitoring must know about.
ENFORCING_ACTIONS = ("limit", "ban")
# The key column of the evaluation frame for each target type.
TARGET_KEYS = {"account": "account_id", "content": "content_id"}


class ConditionError(ValueError):
    """A strategy condition that cannot run; the message names the strategy, its file and the fault."""


def target_key(spec: StrategyDefinition) -> str:
    """The key column of the strategy's target in the evaluation frame."""
    return TARGET_KEYS[spec.target]


def named(spec: StrategyDefinition) -> str:
    """How messages name the strategy: `strategy 'id' (file)`."""
    return f"strategy '{spec.id}'" + (f" ({spec.source})" if spec.source else "")


@dataclass(frozen=True)
class CheckedStrategy:
    """A strategy whose condition passed the checker, with the rewritten condition the evaluator runs."""

    spec: StrategyDefinition
    expression: str
    columns: tuple[str, ...]
    lists: tuple[tuple[str, str], ...]  # (list name, column) pairs used by in_list

    @property
    def fired_columns(self) -> tuple[str, ...]:
        """Columns whose values explain a hit: every referenced column, in_list columns included."""
        return tuple(dict.fromkeys([*self.columns, *(c for _, c in self.lists)]))
