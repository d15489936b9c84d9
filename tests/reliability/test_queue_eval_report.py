"""benchmarks/queue_eval.py's judgement of the queue: the frontier (can any ranking increasing in the signals meet
the recall gate?), the stacked model's inputs, and the report lines."""

import math

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def queue_eval(benchmark_script):
    return benchmark_script("queue_eval")


def rows(*accounts):
    """Account rows of a last day's queue: (entity_id, model, anomaly, ring, hit, audience); None = absent."""
    return pd.DataFrame(accounts, columns=["entity_id", "model_probability", "anomaly_probability",
                                           "ring_probability", "hit_probability", "audience_probability"])


QUEUE = rows(("h1", 0.9, None, None, None, None), ("h2", 0.8, None, None, None, None),
             ("s1", 0.95, None, None, None, None), ("m1", 0.7, None, None, None, None),
             ("m2", 0.85, None, None, None, None))
PATTERN = {"s1": "spam", "m1": "matrix", "m2": "matrix"}


def test_frontier_counts_the_honest_accounts_any_increasing_ranking_puts_above(queue_eval):
    # both matrix members needed: m1 has two honest accounts above it on every signal, so the top 3 cannot hold
    # the 3 bad accounts and those 2
    out = queue_eval.frontier(QUEUE, PATTERN, {"spam": 1, "matrix": 2}, k=3)
    assert out["patterns"]["matrix"] == {"needed": 2, "honest_dominators": 2}
    assert (out["needed_bad"], out["honest_floor"], out["reachable"]) == (3, 2, False)
    # one matrix member is enough: m2 has one honest account above it, and s1, h1, m2 fit in the top 3
    out = queue_eval.frontier(QUEUE, PATTERN, {"spam": 1, "matrix": 1}, k=3)
    assert (out["needed_bad"], out["honest_floor"], out["reachable"]) == (2, 1, True)


def test_frontier_counts_only_strict_dominance_and_an_absent_signal_as_zero(queue_eval):
    queue = rows(("twin", 0.7, None, None, None, None),       # equal on every signal: may rank either way
                 ("hit", 0.7, None, None, 0.5, None),         # as high, and a hit the member lacks: above it
                 ("lower", 0.6, 0.9, None, None, None),       # higher anomaly but a lower model: not above
                 ("m", 0.7, None, None, None, None))
    out = queue_eval.frontier(queue, {"m": "matrix"}, {"matrix": 1}, k=1)
    assert out["patterns"]["matrix"]["honest_dominators"] == 1
    assert not out["reachable"]


def test_stacked_model_sees_each_signal_as_log_odds_and_whether_it_is_present(queue_eval):
    x = queue_eval.signal_matrix(rows(("a", 0.5, None, 0.9, None, None)))
    assert x.shape == (1, 10)
    assert x[0].tolist() == pytest.approx([0.0, 1.0, 0.0, 0.0, math.log(9), 1.0, 0.0, 0.0, 0.0, 0.0])
    assert np.isfinite(queue_eval.signal_matrix(rows(("b", 1.0, 0.0, None, None, None)))).all()


def test_report_says_when_no_increasing_ranking_meets_the_gate(queue_eval):
    patterns = {"spam": 20, "matrix": 20}
    signals = {name: {"precision": 0.9, "ranked": 40, "recall": {"spam": 1.0, "matrix": 0.9}}
               for name in ("queue", "model", queue_eval.STACKED)}
    result = {"k": 40, "patterns": patterns, "signals": signals, "model": None, "reliability": [],
              "gate": {"precision": True, "recall": {"spam": True, "matrix": False}},
              "stacked": {"rows": 12, "confirmed": 9, "coefficients": {}},
              "frontier": {"needed_bad": 38, "honest_floor": 5, "k": 40, "reachable": False,
                           "patterns": {"spam": {"needed": 20, "honest_dominators": 0},
                                        "matrix": {"needed": 18, "honest_dominators": 5}}}}
    text = queue_eval.render([{"label": "run", "git": "abc", "when": "now", "result": result}])
    assert f"| {queue_eval.STACKED} | 0.90 |" in text
    assert "fitted on 12 reviewed sampled accounts" in text and "(9 confirmed, IPW)" in text
    assert "holding 18 matrix members also puts at least 5 honest accounts above one of them" in text
    assert "38 + 5 = 43 > 40: **no such ranking meets the gate**" in text
    result["frontier"] = {**result["frontier"], "honest_floor": 2, "reachable": True}
    result["stacked"] = {"rows": 3, "confirmed": 3}  # one outcome only: no fit
    text = queue_eval.render([{"label": "run", "git": "abc", "when": "now", "result": result}])
    assert "38 + 2 = 40 ≤ 40: not excluded." in text
    assert "(3 confirmed, IPW): not fitted, the labels hold one outcome only." in text
