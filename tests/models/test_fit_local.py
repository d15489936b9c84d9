"""The single-node trainer (Spark Connect has no barrier tasks): early stopping on the validation rows, weights
honoured, missing values as NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost as xgb

from creator_governance.models.training.xgb import booster_params, fit_local
from creator_governance.settings.model import TrainingSettings


def rows(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    noise = rng.uniform(0, 1, n)
    frame = pd.DataFrame({"signal": x, "noise": noise, "label": (x > 0.7).astype(int), "weight": 1.0,
                          "is_validation": np.arange(n) % 4 == 0})
    frame.loc[frame.index % 10 == 3, "noise"] = np.nan  # a missing value is not an error
    return frame


def test_the_booster_learns_the_signal_and_stops_early_on_the_validation_rows():
    params = booster_params(TrainingSettings(n_estimators=200, max_depth=2, learning_rate=0.3,
                                             early_stopping_rounds=5), scale_pos_weight=1.0)
    booster = fit_local(rows(2000, 1), ["signal", "noise"], params)
    assert int(booster.attributes()["best_iteration"]) < 199  # early stopping ended it on the validation rows
    test = rows(400, 2)
    margin = booster.predict(xgb.DMatrix(test[["signal", "noise"]].astype("float32"), missing=np.nan))
    predicted = margin > 0.5
    assert (predicted == test["label"].astype(bool)).mean() > 0.97


def test_weights_move_the_fit():
    frame = rows(2000, 3)
    frame["label"] = ((frame.index // 4) % 2).astype(int)  # no signal: the prior is all the model can learn
    params = booster_params(TrainingSettings(n_estimators=20, max_depth=1, early_stopping_rounds=20),
                            scale_pos_weight=1.0)
    even = fit_local(frame, ["signal", "noise"], params)
    heavy = fit_local(frame.assign(weight=np.where(frame["label"] == 1, 9.0, 1.0)), ["signal", "noise"], params)
    x = xgb.DMatrix(frame[["signal", "noise"]].astype("float32"), missing=np.nan)
    assert heavy.predict(x).mean() > even.predict(x).mean() + 0.2
