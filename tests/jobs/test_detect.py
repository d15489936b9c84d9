"""`govern detect` on CSV files: columns kept, status per incident, many series, kinds, sub-daily steps."""

import numpy as np
import pandas as pd
import pytest

from creator_governance.jobargs import UsageError
from creator_governance.jobs import detect


def five_minute_frame(n=1400, seed=0, spike_at=None, name=None):
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-01-01", periods=n, freq="5min")
    value = rng.poisson(20, n).astype(float)
    if spike_at is not None:
        value[spike_at:spike_at + 3] += 80
    frame = pd.DataFrame({"timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"), "value": value, "note": "x"})
    return frame.assign(series=name) if name else frame


def test_the_output_keeps_the_input_and_marks_one_new_point_per_incident(tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    five_minute_frame(spike_at=1000).to_csv(src, index=False)
    assert detect.main(["--input", str(src), "--output", str(dst)]) == 0
    out = pd.read_csv(dst, keep_default_na=False)
    assert list(out.columns) == ["timestamp", "value", "note", *detect.ADDED]
    assert out.index[out["status"] == "new"].tolist() == [1000]
    assert set(out.loc[1001:1002, "status"]) == {"continuing"}
    assert set(out["status"]) <= {"new", "continuing", ""}


def test_many_series_in_one_file_are_scored_each_on_their_own():
    a = five_minute_frame(seed=1, spike_at=1100, name="a")
    b = five_minute_frame(seed=2, name="b")
    mixed = pd.concat([b, a]).sample(frac=1.0, random_state=3)  # interleaved and shuffled rows
    out = detect.run(mixed, params=_params(), series_col="series")
    assert list(out["series"].drop_duplicates()) == ["a", "b"]  # ordered by series, then time
    for name, alone in (("a", a), ("b", b)):
        scored = detect.run(alone, params=_params())
        assert out.loc[out["series"] == name, "status"].tolist() == scored["status"].tolist()
    assert a["timestamp"][1100] in set(out.loc[(out["series"] == "a") & (out["status"] == "new"), "timestamp"])


def test_the_kind_follows_the_values_unless_given():
    assert detect.infer_kind(np.array([0.0, 3.0, 1.0]), denominator=False) == "count"
    assert detect.infer_kind(np.array([0.5, 3.0]), denominator=False) == "value"
    assert detect.infer_kind(np.array([0.1]), denominator=True) == "ratio"


def test_a_ratio_with_its_denominator_uses_binomial_noise():
    rng = np.random.default_rng(4)
    n = np.full(90, 200.0)
    frame = pd.DataFrame({"ds": pd.date_range("2026-01-01", periods=90).strftime("%Y-%m-%d"),
                          "rate": rng.binomial(200, 0.2, 90) / 200.0, "n": n})
    frame.loc[70, "rate"] = 0.45
    out = detect.run(frame, params=_params(), value_col="rate", denominator_col="n")
    assert out.index[out["status"] == "new"].tolist() == [70]
    assert out.attrs["seasons"] == {None: None}


def test_daily_and_five_minute_steps_find_their_own_cycles():
    t = np.arange(288 * 8)
    x = 100 + 30 * np.sin(2 * np.pi * t / 288) + np.random.default_rng(5).normal(0, 1, len(t))
    frame = pd.DataFrame({"timestamp": pd.date_range("2026-01-01", periods=len(t), freq="5min"), "value": x})
    assert detect.run(frame, params=_params()).attrs["seasons"] == {None: 288}
    assert detect.step_seconds(pd.Series(pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-04"]))) == 129_600.0


def test_bad_columns_and_times_are_named(tmp_path):
    frame = five_minute_frame(n=30)
    with pytest.raises(UsageError, match="--value-col 'missing'"):
        detect.run(frame, params=_params(), value_col="missing")
    with pytest.raises(UsageError, match="--kind ratio needs --denominator-col"):
        detect.run(frame, params=_params(), kind="ratio")
    frame.loc[7, "timestamp"] = "not a time"
    with pytest.raises(UsageError, match="row 9"):
        detect.run(frame, params=_params())


def _params():
    from creator_governance.config import load_config

    return load_config().alerts.detector
