"""The model store with MLflow configured, on a local file store: the booster is logged with a signature and an
input example, registered, the approved version gets the alias, and the model to score is resolved by it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

mlflow = pytest.importorskip("mlflow")
xgb = pytest.importorskip("xgboost")

from creator_governance.config import load_config  # noqa: E402
from creator_governance.jobs.model_store import (  # noqa: E402
    NoApprovedModel, champion, log_to_mlflow, model_to_score, save_model,
)
from creator_governance.runtime import JobContext  # noqa: E402
from creator_governance.tables import Tables  # noqa: E402


def booster(seed: int):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"posts_7d": rng.random(60), "reports_7d": rng.random(60)})
    label = (frame["reports_7d"] > 0.5).astype(int)
    return xgb.train({"objective": "binary:logistic", "seed": seed}, xgb.DMatrix(frame, label=label), 4), frame


def metadata(version: str, status: str) -> dict:
    return {"version": version, "status": status, "params": {"max_depth": 3}, "metrics": {"pr_auc": 0.5},
            "features": ["posts_7d", "reports_7d"], "margin_offset": -1.5}


def test_the_approved_model_is_registered_and_resolved_by_its_alias(spark, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # a local store for the test; production uses a server
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = load_config(overrides={"tables": {"lakehouse": str(tmp_path / "lakehouse"), "engine": "delta-rs"},
                                 "model": {"training": {"mlflow_tracking_uri": f"file://{tmp_path}/mlruns",
                                                        "mlflow_registered_model": "cg-violation"}}})
    ctx = JobContext(spark=spark, tables=Tables.from_config(spark, cfg.tables), cfg=cfg)

    approved, frame = booster(1)
    logged = log_to_mlflow(cfg.model, metadata("v1", "approved"),
                           save_model(str(tmp_path / "models"), "v1", approved, metadata("v1", "approved")),
                           approved, frame.head(5))
    assert logged["mlflow_model_version"] == "1" and logged["mlflow_run_id"]
    candidate, _ = booster(2)
    later = log_to_mlflow(cfg.model, metadata("v2", "candidate"),
                          save_model(str(tmp_path / "models"), "v2", candidate, metadata("v2", "candidate")),
                          candidate, frame.head(5))
    assert later["mlflow_model_version"] == "2"

    client = mlflow.MlflowClient(tracking_uri=f"file://{tmp_path}/mlruns")
    assert str(client.get_model_version_by_alias("cg-violation", "champion").version) == "1"  # not the candidate
    info = mlflow.models.get_model_info("models:/cg-violation@champion")
    assert [c.name for c in info.signature.inputs.inputs] == ["posts_7d", "reports_7d"]

    raw, meta = model_to_score(ctx)  # no model_registry table at all: the alias alone resolves it
    assert raw == bytes(approved.save_raw("json")) and meta["version"] == "v1" and meta["margin_offset"] == -1.5
    assert meta["mlflow_model_version"] == "1"


def test_without_mlflow_the_delta_registry_is_the_only_source(spark, tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = load_config(overrides={"tables": {"lakehouse": str(tmp_path / "lakehouse"), "engine": "delta-rs"}})
    ctx = JobContext(spark=spark, tables=Tables.from_config(spark, cfg.tables), cfg=cfg)
    assert champion(cfg.model) is None
    with pytest.raises(NoApprovedModel, match="run `govern train` first"):
        model_to_score(ctx)
