"""Who fits the booster (`training.trainer`): auto puts a small set, or any set on Spark Connect, on the driver."""

from __future__ import annotations

from creator_governance.jobs.train import chosen_trainer
from creator_governance.settings.model import TrainingSettings


def test_auto_fits_a_small_set_or_any_set_on_connect_on_the_driver_and_a_setting_wins():
    auto = TrainingSettings(local_max_rows=1000)
    assert chosen_trainer(auto, connect=False, rows=1000) == "local"
    assert chosen_trainer(auto, connect=False, rows=1001) == "spark"
    assert chosen_trainer(auto, connect=True, rows=10**9) == "local"  # Connect has no barrier tasks
    assert chosen_trainer(TrainingSettings(trainer="spark"), connect=False, rows=10) == "spark"
    assert chosen_trainer(TrainingSettings(trainer="local"), connect=False, rows=10**9) == "local"
