"""The experiments config section: the base YAML holds exactly the model's defaults."""

from pathlib import Path

import yaml

from creator_governance.settings.experiments import ExperimentsSettings

ROOT = Path(__file__).resolve().parents[3] / "conf" / "base"


def _base_yaml() -> Path:
    return ROOT / "experiments.yaml"


def test_base_yaml_equals_model_defaults():
    body = yaml.safe_load(_base_yaml().read_text())
    assert ExperimentsSettings.model_validate(body) == ExperimentsSettings()
