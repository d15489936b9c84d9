"""Settings of strategies, lists, backtests, review sampling and the credit score (conf/base/strategies.yaml)."""

from creator_governance.settings._base import Section


class StrategiesSettings(Section):
    """Settings of strategies, lists, backtests, review sampling and the credit score."""
