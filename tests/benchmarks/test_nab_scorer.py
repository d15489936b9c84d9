"""The NAB scorer of benchmarks/nab_eval.py on hand-made series (no data from ../shared)."""

import importlib.util
import math
import sys
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "nab_eval.py"


def _load():
    spec = importlib.util.spec_from_file_location("nab_eval", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["nab_eval"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


nab = _load()

# 40 rows: probation = floor(0.15 * 40) = 6 (rows 0-5). Windows A = rows 10-14, B = rows 25-29 (w = 5 each).
N_ROWS = 40
WINDOWS = [(10, 14), (25, 29)]
# row 2: in probation, ignored
# row 8: after probation, before any window: -fpWeight
# row 11: first in A: p = -(14 - 11 + 1) / 5 = -0.8 -> tpWeight * s(-0.8) / s(-1)
# row 13: second in A: nothing
# row 17: after A: p = |17 - 14| / (5 - 1) = 0.75 -> fpWeight * s(0.75)
# B: no detection: -fnWeight
DETECTIONS = [2, 8, 11, 13, 17]
# s(p) = 2 / (1 + e^(5p)) - 1:
#   s(-0.8) = 2 / (1 + e^-4) - 1 = 0.9640275800758169
#   s(-1)   = 2 / (1 + e^-5) - 1 = 0.9866142981514305   -> TP(11) = 0.9771068409226045
#   s(0.75) = 2 / (1 + e^3.75) - 1 = -0.9540452601799487
# raw = tp * 0.9771068409226045 - fp + fp * (-0.9540452601799487) - fn
# standard (1, 0.11, 1):            0.97710684 - 0.11 - 0.10494498 - 1 = -0.23783813769718987
# reward_low_FP_rate (1, 0.22, 1):  0.97710684 - 0.22 - 0.20988996 - 1 = -0.4527831163169842
# reward_low_FN_rate (1, 0.11, 2):  0.97710684 - 0.11 - 0.10494498 - 2 = -1.2378381376971899
# normalised = 100 (raw + 2 fn) / (2 tp + 2 fn):
#   standard 100 * 1.76216186 / 4 = 44.05404655757025; low FP 100 * 1.54721688 / 4 = 38.680422092075396;
#   low FN 100 * 2.76216186 / 6 = 46.03603103838017
EXPECTED = {
    "standard": (-0.23783813769718987, 44.05404655757025),
    "reward_low_FP_rate": (-0.4527831163169842, 38.680422092075396),
    "reward_low_FN_rate": (-1.2378381376971899, 46.03603103838017),
}


@pytest.mark.parametrize("profile", sorted(EXPECTED))
def test_hand_made_series_scores_as_computed_by_hand(profile):
    raw, score = EXPECTED[profile]
    assert nab.score_file(N_ROWS, WINDOWS, DETECTIONS, profile) == pytest.approx(raw, abs=1e-9)
    corpus = nab.score_corpus({"a/x.csv": (N_ROWS, WINDOWS, DETECTIONS)}, profile)
    assert corpus["windows"] == 2
    assert corpus["score"] == pytest.approx(score, abs=1e-9)


def test_counts_of_the_hand_made_series():
    parts = nab.score_parts(N_ROWS, WINDOWS, DETECTIONS, "standard")
    assert (parts.windows, parts.detected, parts.detections, parts.false_detections) == (2, 1, 5, 2)


def test_no_detection_scores_zero_and_first_row_of_every_window_one_hundred():
    assert nab.score_corpus({"a/x.csv": (N_ROWS, WINDOWS, [])}, "standard")["score"] == pytest.approx(0.0)
    assert nab.score_corpus({"a/x.csv": (N_ROWS, WINDOWS, [10, 25])}, "standard")["score"] == pytest.approx(100.0)


def test_window_partly_in_probation_counts_only_detections_after_it():
    # probation rows 0-5; window rows 4-8 (w = 5). Row 5 is ignored, so the window is missed: -fnWeight.
    assert nab.score_file(N_ROWS, [(4, 8)], [5], "standard") == pytest.approx(-1.0, abs=1e-9)
    # row 7 counts: p = -(8 - 7 + 1) / 5 = -0.4 -> s(-0.4) / s(-1) = 0.7719269398210883
    assert nab.score_file(N_ROWS, [(4, 8)], [5, 7], "standard") == pytest.approx(0.7719269398210883, abs=1e-9)


def test_window_wholly_in_probation_is_not_scored_but_precedes_later_false_positives():
    # window rows 1-4 (w = 4) is not counted; row 10: p = (10 - 4) / (4 - 1) = 2 -> 0.11 * s(2) = 0.11 * -0.99990920
    parts = nab.score_parts(N_ROWS, [(1, 4)], [10], "standard")
    assert parts.windows == 0
    assert parts.raw == pytest.approx(0.11 * -0.9999092042625951, abs=1e-9)


def test_false_positive_more_than_three_widths_after_a_window_costs_full_weight():
    # row 14 is the window's last row: p = -1/5 -> s(-0.2) / s(-1) = (2 / (1 + e^-1) - 1) / (2 / (1 + e^-5) - 1)
    at_last_row = (2 / (1 + math.exp(-1)) - 1) / (2 / (1 + math.exp(-5)) - 1)
    # row 26: p = (26 - 14) / 4 = 3 -> s(3) = 2 / (1 + e^15) - 1; row 27: p = 3.25 > 3 -> -1
    assert nab.score_file(N_ROWS, [(10, 14)], [14, 26], "reward_low_FP_rate") == pytest.approx(
        at_last_row + 0.22 * (2 / (1 + math.exp(15)) - 1), abs=1e-12)
    assert nab.score_file(N_ROWS, [(10, 14)], [14, 27], "reward_low_FP_rate") == pytest.approx(
        at_last_row - 0.22, abs=1e-12)
    assert nab.sigma(3.0) > -1.0 and nab.sigma(3.0000001) == -1.0


def test_corpus_normalises_over_the_sum_of_files():
    # file 1: the hand-made series (standard raw -0.23783813769718987, 2 windows); file 2: 1 window, missed.
    cases = {"a/x.csv": (N_ROWS, WINDOWS, DETECTIONS), "b/y.csv": (N_ROWS, [(20, 24)], [])}
    corpus = nab.score_corpus(cases, "standard")
    assert corpus["windows"] == 3
    assert corpus["score"] == pytest.approx(100 * (-0.23783813769718987 - 1 + 3) / 6, abs=1e-9)


def test_windows_and_detections_map_to_rows_by_timestamp():
    # data at 5-minute steps with the hour of a clock change repeated (rows 3 and 4 share a timestamp)
    stamps = ["2014-01-01 00:00:00", "2014-01-01 00:05:00", "2014-01-01 00:10:00", "2014-01-01 00:15:00",
              "2014-01-01 00:15:00", "2014-01-01 00:20:00"]
    times = nab.parse_times(stamps)
    assert nab.window_rows(times, [["2014-01-01 00:05:00.000000", "2014-01-01 00:15:00.000000"]]) == [(1, 4)]
    hits = nab.parse_times(["2014-01-01 00:15:00", "2014-01-01 00:15:00", "2014-01-01 00:20:00"])
    assert nab.rows_of(times, hits) == [3, 4, 5]
    assert nab.rows_of(times, nab.parse_times(["2014-01-01 00:15:00"])) == [3]
    # a detector output flags only the second of the repeated rows: its occurrence says which
    assert nab.rows_of(times, nab.parse_times(["2014-01-01 00:15:00"]), [1]) == [4]
    assert nab.rows_of(times, nab.parse_times(["2014-01-01T00:05:00+00:00"])) == [1]
    with pytest.raises(ValueError):
        nab.rows_of(times, pd.Series(pd.to_datetime(["2015-01-01"])))
