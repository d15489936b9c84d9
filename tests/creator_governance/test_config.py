"""Layered config: merge order, and one-line errors that name the key and the file."""

from __future__ import annotations

import subprocess
import sys

import pytest

from creator_governance.config import ConfigError, load_config


def write(path, text):
    path.write_text(text)
    return path


def test_layers_merge_base_then_env_then_file_then_overrides(tmp_path):
    overlay = write(tmp_path / "o.yaml", "spark:\n  shuffle_partitions: 3\ntables:\n  engine: delta-rs\n")

    local = load_config(env="local")
    cluster = load_config(env="cluster")
    layered = load_config(conf_file=overlay, env="local", overrides={"tables": {"lakehouse": "/x"}})

    assert local.spark.shuffle_partitions == 4  # conf/local overrides base's 8
    assert local.spark.app_name == "creator-governance"  # untouched base value survives
    assert cluster.spark.shuffle_partitions == 200
    assert layered.spark.shuffle_partitions == 3 and layered.tables.engine == "delta-rs"
    assert layered.tables.lakehouse == "/x"


def test_unknown_key_names_key_and_file(tmp_path):
    overlay = write(tmp_path / "typo.yaml", "spark:\n  shufle_partitions: 3\n")

    with pytest.raises(ConfigError) as err:
        load_config(conf_file=overlay)

    assert str(err.value) == f"config error: spark.shufle_partitions: unknown key [{overlay}]"


def test_wrong_type_names_key_value_and_file(tmp_path):
    overlay = write(tmp_path / "bad.yaml", "tables:\n  engine: parquet\n  commit_retries: many\n")

    with pytest.raises(ConfigError) as err:
        load_config(conf_file=overlay)

    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("config error: tables.engine: ") and "'parquet'" in lines[0]
    assert lines[1].startswith("config error: tables.commit_retries: ") and "'many'" in lines[1]
    assert all(line.endswith(f"[{overlay}]") for line in lines)


def test_errors_point_at_the_layer_that_set_the_value(tmp_path):
    conf = tmp_path / "conf"
    for layer in ("base", "local"):
        (conf / layer).mkdir(parents=True)
    write(conf / "base" / "spark.yaml", "master: 'local[2]'\n")
    write(conf / "local" / "spark.yaml", "shuffle_partitions: -1\n")

    with pytest.raises(ConfigError, match=r"spark\.shuffle_partitions: .*\[.*local/spark\.yaml\]"):
        load_config_from(conf)


def load_config_from(conf_dir):
    import os

    old = os.environ.get("GOVERN_CONF_DIR")
    os.environ["GOVERN_CONF_DIR"] = str(conf_dir)
    try:
        return load_config(env="local")
    finally:
        if old is None:
            del os.environ["GOVERN_CONF_DIR"]
        else:
            os.environ["GOVERN_CONF_DIR"] = old


def test_missing_conf_file_and_unknown_env_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"--conf .*nope\.yaml: no such file"):
        load_config(conf_file=tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"environment 'staging'"):
        load_config(env="staging")


def test_invalid_yaml_names_file_and_line(tmp_path):
    overlay = write(tmp_path / "broken.yaml", "spark:\n  master: [local\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml line \d+: not valid YAML"):
        load_config(conf_file=overlay)


def test_config_is_frozen():
    cfg = load_config()
    with pytest.raises(Exception):
        cfg.spark.master = "yarn"  # type: ignore[misc]


def test_cli_reports_a_typo_in_one_line(tmp_path):
    overlay = write(tmp_path / "typo.yaml", "tables:\n  lakehous: /tmp/x\n")
    done = subprocess.run([sys.executable, "-m", "creator_governance.cli", "tables", "--conf", str(overlay)],
                          capture_output=True, text=True)

    assert done.returncode == 1
    assert done.stderr.strip() == f"govern tables: error: config error: tables.lakehous: unknown key [{overlay}]"


def test_every_config_key_is_documented_and_the_doc_is_current():
    from pathlib import Path

    from creator_governance.config_docs import render, undocumented

    assert undocumented() == []
    doc = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    assert doc.read_text() == render(), "run: python -m creator_governance.config_docs"


def test_plain_sections_carry_no_settings_classes_to_executors():
    import pickle

    from creator_governance.settings import Config

    detector = Config().alerts.detector
    plain = detector.plain()
    assert plain.threshold == detector.threshold and plain.window == detector.window
    shipped = pickle.dumps(plain)
    assert b"creator_governance" not in shipped and b"pydantic" not in shipped  # a worker Python can unpickle it
    nested = Config().alerts.plain()
    assert nested.detector.threshold == detector.threshold
    assert b"pydantic" not in pickle.dumps(nested)
