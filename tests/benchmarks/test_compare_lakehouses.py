"""benchmarks/compare_lakehouses.py on hand-made Delta tables: equal data in another row order and with other run
ids matches; one changed value, a missing row or a missing table does not."""

import importlib.util
import shutil
import sys
from pathlib import Path

import pandas as pd
from deltalake import write_deltalake

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "compare_lakehouses.py"
spec = importlib.util.spec_from_file_location("compare_lakehouses", SCRIPT)
compare_lakehouses = importlib.util.module_from_spec(spec)
sys.modules["compare_lakehouses"] = compare_lakehouses
spec.loader.exec_module(compare_lakehouses)


def lakehouse(root: Path, scores: pd.DataFrame, run_id: str) -> Path:
    write_deltalake(str(root / "creator_scores"), scores)
    write_deltalake(str(root / "pipeline_runs"), pd.DataFrame({"run_id": [run_id], "step": ["score"]}))
    return root


def test_same_data_matches_and_one_changed_value_does_not(tmp_path, capsys):
    scores = pd.DataFrame({"account_id": ["a", "b", "c"], "score": [0.1, 0.25, 0.9],
                           "reasons": [["x"], [], ["y", "z"]], "model_version": ["m1", "m1", "m1"]})
    left = lakehouse(tmp_path / "left", scores, "run-1")
    shuffled = scores.iloc[[2, 0, 1]].reset_index(drop=True).assign(model_version="m2")  # volatile column
    right = lakehouse(tmp_path / "right", shuffled, "run-2")
    assert compare_lakehouses.compare(str(left), str(right)) == {}
    assert compare_lakehouses.main([str(left), str(right)]) == 0

    changed = scores.copy()
    changed.loc[1, "score"] = 0.2500001
    other = lakehouse(tmp_path / "changed", changed, "run-3")
    found = compare_lakehouses.compare(str(left), str(other))
    assert set(found) == {"creator_scores"} and "score" in found["creator_scores"]
    assert compare_lakehouses.main([str(left), str(other)]) == 1

    fewer = lakehouse(tmp_path / "fewer", scores.iloc[:2], "run-4")
    assert compare_lakehouses.compare(str(left), str(fewer)) == {"creator_scores": "3 rows vs 2"}
    shutil.rmtree(fewer / "pipeline_runs")
    assert compare_lakehouses.main([str(left), str(fewer)]) == 2
    assert "pipeline_runs: only in the first" in capsys.readouterr().out
