"""The ecosystem simulator: a synthetic landing zone (CONTRACT.md section 1) with planted abuse, incidents,
partial noisy labels, and its ground truth beside it. See docs/simulator.md."""

from creator_governance.simulator.engine import simulate, truth_location

__all__ = ["simulate", "truth_location"]
