"""`govern rca` on leaf-table CSVs: the contract's columns, one input per move, no rows for a broad move, ratios,
and clear errors naming the file and the column."""

import itertools

import numpy as np
import pandas as pd
import pytest

from creator_governance.jobargs import UsageError
from creator_governance.jobs import rca

DIMS = {"a": [f"a{i}" for i in range(5)], "b": [f"b{i}" for i in range(6)], "c": [f"c{i}" for i in range(4)]}


def leaves(seed, moves=(), ratio=False):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(list(itertools.product(*DIMS.values())), columns=list(DIMS))
    frame["predict"] = np.round(rng.lognormal(np.log(200), 0.7, len(frame)), 1)
    factor = np.ones(len(frame))
    for conditions, times in moves:
        factor[np.logical_and.reduce([frame[d] == v for d, v in conditions.items()])] *= times
    if ratio:
        frame["views_predict"] = frame["predict"] * 10
        frame["views"] = rng.poisson(frame["views_predict"]).astype(float)
        frame["real"] = rng.binomial(frame["views"].astype(int), np.minimum(0.1 * factor, 1.0)).astype(float)
    else:
        frame["real"] = rng.poisson(frame["predict"] * factor).astype(float)
    return frame


def test_one_command_line_writes_the_contract_columns_for_every_input(tmp_path):
    first, second, broad = tmp_path / "first.csv", tmp_path / "second.csv.gz", tmp_path / "broad.csv"
    leaves(0, [({"a": "a1", "b": "b2"}, 2.0)]).to_csv(first, index=False)
    leaves(1, [({"c": "c3"}, 0.4), ({"a": "a4"}, 1.8)]).to_csv(second, index=False)
    leaves(2, [({}, 1.5)]).to_csv(broad, index=False)
    out = tmp_path / "causes.csv"
    assert rca.main(["--input", str(first), str(second), str(broad), "--dims", "a,b,c", "--value-col", "real",
                     "--forecast-col", "predict", "--output", str(out)]) == 0
    table = pd.read_csv(out)
    assert table.columns[:4].tolist() == ["input", "rank", "cause", "explanatory_power"]
    causes = table.groupby("input")["cause"].apply(list).to_dict()
    assert causes == {str(first): ["a=a1&b=b2"], str(second): ["c=c3", "a=a4"]}  # broad.csv: no row
    assert table.loc[table["input"] == str(second), "rank"].tolist() == [1, 2]


def test_a_ratio_needs_both_denominator_columns_and_finds_the_rate_that_moved(tmp_path):
    path = tmp_path / "ratio.csv"
    leaves(3, [({"b": "b5", "c": "c0"}, 2.5)], ratio=True).to_csv(path, index=False)
    params = _params()
    out = rca.run([str(path)], params=params, dims=["a", "b", "c"], value_col="real", forecast_col="predict",
                  denominator_col="views", denominator_forecast_col="views_predict")
    assert out["cause"].tolist() == ["b=b5&c=c0"]
    with pytest.raises(UsageError, match="go together"):
        rca.run([str(path)], params=params, dims=["a"], value_col="real", forecast_col="predict",
                denominator_col="views")


def test_bad_inputs_are_named(tmp_path):
    path = tmp_path / "leaves.csv"
    leaves(4).to_csv(path, index=False)
    with pytest.raises(UsageError, match=r"leaves.csv: no column 'd' \(named by --dims"):
        rca.run([str(path)], params=_params(), dims=["a", "d"], value_col="real", forecast_col="predict")
    with pytest.raises(UsageError, match="missing.csv: cannot read it"):
        rca.run([str(tmp_path / "missing.csv")], params=_params(), dims=["a"], value_col="real",
                forecast_col="predict")
    with pytest.raises(UsageError, match="named twice"):
        rca.dims_of("a,b,a")


def _params():
    from creator_governance.config import load_config

    return load_config().alerts.rca
