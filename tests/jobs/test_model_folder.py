"""Where `govern score` finds a model: beside its own registry first (a lakehouse copied, moved or mounted at another
path), then the folder model_registry recorded when the model was saved."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

xgb = pytest.importorskip("xgboost")

from creator_governance.jobs import model_store  # noqa: E402
from creator_governance.jobs.model_store import load_model, model_folder, save_model  # noqa: E402
from creator_governance.tables import TableError  # noqa: E402


def trained(version: str, tmp_path) -> tuple:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"posts_7d": rng.random(40), "reports_7d": rng.random(40)})
    booster = xgb.train({"objective": "binary:logistic", "seed": 3},
                        xgb.DMatrix(frame, label=(frame["reports_7d"] > 0.5).astype(int)), 3)
    saved = save_model(str(tmp_path / "a" / "_models"), version, booster, {"version": version})
    return booster, {"version": version, "path": saved}  # the model_registry row, as written at training


def test_a_copied_lakehouse_scores_with_its_own_copy_of_the_model(tmp_path):
    booster, entry = trained("v7", tmp_path)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    here = str(tmp_path / "b" / "_models")
    assert model_folder(here, entry) == str(tmp_path / "b" / "_models" / "v7")
    assert model_folder(str(tmp_path / "elsewhere"), entry) == entry["path"]  # not beside this registry
    assert model_folder(None, entry) == entry["path"]  # no files folder at all
    shutil.rmtree(tmp_path / "a")  # the original lakehouse is gone: the copy still scores
    raw, meta = load_model(model_folder(here, entry))
    assert raw == bytes(booster.save_raw("json")) and meta["version"] == "v7"
    missing = r"model v7: no model.json and metadata.json in .*elsewhere.* nor in .*/a/_models/v7"
    with pytest.raises(FileNotFoundError, match=missing):
        model_folder(str(tmp_path / "elsewhere"), entry)


def test_model_to_score_looks_in_the_lakehouse_it_runs_on(tmp_path, monkeypatch):
    booster, entry = trained("v8", tmp_path)
    shutil.move(str(tmp_path / "a"), str(tmp_path / "moved"))  # the recorded folder no longer exists
    monkeypatch.setattr(model_store, "latest_approved", lambda ctx: entry)
    monkeypatch.setattr(model_store, "champion", lambda settings: None)  # no MLflow alias

    def ctx(folder):
        return SimpleNamespace(cfg=SimpleNamespace(model=None), tables=SimpleNamespace(folder=folder))

    raw, meta = model_store.model_to_score(ctx(lambda name: str(tmp_path / "moved" / name)))
    assert raw == bytes(booster.save_raw("json")) and meta["version"] == "v8"

    def no_files_folder(name):
        raise TableError("tables.files: the lakehouse s3://x is an object store and no folder is set")

    with pytest.raises(FileNotFoundError, match="where model_registry says it was saved"):
        model_store.model_to_score(ctx(no_files_folder))  # only the recorded folder is left, and it is gone
