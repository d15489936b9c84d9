"""Multi-dimensional root cause: the few conjunctions of dimension values that explain one anomalous move.

Input: one row per leaf of dimensions d1..dn with an observed and a forecast amount (or, for a ratio, a
numerator and a denominator with their forecasts). Output: a minimal ranked list of causes, each a conjunction
of 1 to `max_layer` dimension values written `d1=v1&d2=v2` (dimensions in the order given).

Method (in the family of RiskLoc, HotSpot and Squeeze, searching elements of every cuboid by group sums):

- Each leaf has a move a = observed - expected and a volume w = (|observed| + |expected|) / 2; for a ratio the
  expected amount is the forecast rate x the observed denominator, so only rate changes count (a leaf whose
  numerator and denominator move together has not moved). A leaf's noise is given (`variance_col`, e.g. its own
  history) or fitted robustly over the whole cube (cube.move_variance: a multiplicative and a counting part);
  with `counts`, never below the counting noise of its expected count.
- An element (a conjunction of values) is a candidate when its aggregate move is (1) significant, |A| at least
  `significance` standard deviations of its noise, (2) practically large, |observed / expected - 1| at least
  `min_change`, (3) a real part of the move, |A| at least `min_share` of the cube's total absolute abnormal
  move, and (4) spread over it as a ripple: along every dimension outside the element, at least `follow_share`
  of its children (weighted by volume ** `child_weight_power`) moved its way by between half and twice its
  relative change (its bounded deviation a / w where the expectation is too small to divide by). Children too
  noisy to tell following from not (`separation` standard deviations) are pooled into one child. A parent of a
  cause fails (4): along the dimension the cause adds, only one child moved. A child of a cause passes, but is
  beaten by it.
- Greedy search: the candidate with the largest lower bound |A| - `significance` x noise over all cuboids is a
  cause (an element padded with leaves that add only noise loses to the leaves that moved), unless an element
  containing it is a candidate within one standard deviation (the same move, said more simply); its leaves are
  removed and the search repeats, until no candidate is left or `max_causes` are found. The empty conjunction
  (the whole cube) is a candidate too: when the remaining move is everywhere alike, it is not localised and the
  search stops (a move spread evenly over everything has no cause).

Explanatory power of a cause: its move over the total's move, A / (O - E) for amounts; for a ratio its excess
numerator at the expected rate over the total's (observed ratio - forecast ratio) x observed denominator (the
rest of the total's move, if any, is a change of mix). A restricted analysis (one country) filters the leaves
first and passes the other dimensions: causes are then within that slice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from creator_governance.models.monitoring.cube import (
    Cuboid, build_cuboids, encode, leaf_amounts, move_variance, numbers, parent_index,
)

COLUMNS = ("cause", "explanatory_power", "share_of_move", "observed", "expected", "relative_change",
           "direction", "layer", "significance")
# A child follows its element when it moved the element's way by between this share and its inverse of the
# element's relative change.
FOLLOW_RATIO = 0.5


def format_cause(pairs: list[tuple[str, str]]) -> str:
    """`d1=v1&d2=v2` from (dimension, value) pairs, in the order given."""
    return "&".join(f"{dim}={value}" for dim, value in pairs)


def parse_cause(text: str) -> list[tuple[str, str]]:
    """(dimension, value) pairs of `d1=v1&d2=v2` (a value may hold '=', not '&')."""
    pairs = []
    for part in filter(None, text.split("&")):
        dim, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} in cause {text!r} is not dimension=value")
        pairs.append((dim, value))
    return pairs


def _element_stats(cuboid: Cuboid, live: np.ndarray, leaf: dict[str, np.ndarray],
                   min_spread: float = 0.0) -> dict[str, np.ndarray]:
    """Sums over each element of the leaves still unexplained: volume, move, expected, noise spread (at least
    `min_spread` where the element has volume)."""
    weight = cuboid.sums(leaf["volume"] * live)
    change = cuboid.sums(leaf["move"] * live)
    spread = np.sqrt(cuboid.sums(leaf["variance"] * live))
    return {"weight": weight, "change": change, "expected": cuboid.sums(leaf["expected"] * live),
            "spread": np.where(weight > 0, np.maximum(spread, min_spread), spread),
            "dev": np.divide(change, weight, out=np.zeros_like(weight), where=weight > 0)}


def _follows(child_dev: np.ndarray, own_dev: np.ndarray, child_change: np.ndarray | None = None,
             own_change: np.ndarray | None = None) -> np.ndarray:
    """A child moved its element's way, by between FOLLOW_RATIO and 1 / FOLLOW_RATIO of its relative change
    (observed / expected - 1; `*_change`, NaN where nothing was expected), else of its bounded deviation."""
    ratio = np.sign(own_dev) * child_dev / np.where(own_dev != 0, np.abs(own_dev), 1.0)
    if child_change is not None:
        known = np.isfinite(child_change) & np.isfinite(own_change) & (own_change != 0)
        ratio = np.where(known, child_change / np.where(known, own_change, 1.0), ratio)
    return (ratio >= FOLLOW_RATIO) & (ratio <= 1.0 / FOLLOW_RATIO)


def _change(stats: dict, separation: float) -> np.ndarray:
    """observed / expected - 1 per element, NaN where the expected amount is within `separation` standard
    deviations of nothing (a ratio to a barely known expectation is noise; the bounded deviation judges there)."""
    known = stats["expected"] >= np.maximum(separation * stats["spread"], 1e-300)
    return np.divide(stats["change"], stats["expected"], out=np.full_like(stats["change"], np.nan), where=known)


def _decided(child_dev: np.ndarray, child_sd: np.ndarray, own_dev: np.ndarray, separation: float,
             shift: np.ndarray | None = None, child_spread: np.ndarray | None = None) -> np.ndarray:
    """Whether a child's noise lets it vote: its element's deviation is `separation` standard deviations from
    none, or the child lies that far outside the band of following (it clearly moved otherwise). `shift`: the
    child's move if it followed its element's ratio (expected x (observed / expected - 1) of the element), which
    tells a large move (from little to much) apart where the bounded deviation cannot; `child_spread` its noise."""
    signed, size = np.sign(own_dev) * child_dev, np.abs(own_dev)
    outside = np.maximum(FOLLOW_RATIO * size - signed, signed - size / FOLLOW_RATIO)
    decided = (size >= separation * child_sd) | (outside >= separation * child_sd)
    if shift is not None:
        decided |= np.abs(shift) >= separation * child_spread
    return (own_dev != 0) & decided


def _relative_sd(stats: dict[str, np.ndarray]) -> np.ndarray:
    return np.divide(stats["spread"], stats["weight"], out=np.full_like(stats["weight"], np.inf),
                     where=stats["weight"] > 0)


def _ripple_share(own: np.ndarray, children: list[tuple[dict, np.ndarray]], *, separation: float,
                  child_weight_power: float, ratio: np.ndarray | None = None) -> np.ndarray:
    """Per element, the smallest share over its outside dimensions of the children that follow its move.

    A child votes with weight volume ** child_weight_power when its noise lets it tell following from not;
    the children too small to tell alone are pooled into one child of their summed volume."""
    share = np.full(len(own), np.inf)
    for child, parent_of in children:
        dev = own[parent_of]
        present = child["weight"] > 0
        moved = None if ratio is None else ratio[parent_of] * child["expected"]
        decided = present & _decided(child["dev"], _relative_sd(child), dev, separation, moved, child["spread"])
        vote = np.power(child["weight"], child_weight_power)
        voters = np.bincount(parent_of, weights=vote * decided, minlength=len(own))
        own_change = None if ratio is None else ratio[parent_of]
        follows = _follows(child["dev"], dev, None if ratio is None else _change(child, separation), own_change)
        followers = np.bincount(parent_of, weights=vote * (decided & follows), minlength=len(own))
        pooled = present & ~decided
        pool = {key: np.bincount(parent_of, weights=child[key] * pooled, minlength=len(own))
                for key in ("weight", "change", "expected")}
        pool["spread"] = np.sqrt(np.bincount(parent_of, weights=child["spread"] ** 2 * pooled, minlength=len(own)))
        pool_dev = np.divide(pool["change"], pool["weight"], out=np.zeros_like(own), where=pool["weight"] > 0)
        pool_decided = (pool["weight"] > 0) & _decided(pool_dev, _relative_sd(pool), own, separation,
                                                       None if ratio is None else ratio * pool["expected"],
                                                       pool["spread"])
        pool_vote = np.power(pool["weight"], child_weight_power) * pool_decided  # one child of their volume
        voters += pool_vote
        followers += pool_vote * _follows(pool_dev, own, None if ratio is None else _change(pool, separation), ratio)
        share = np.where(voters > 0, np.minimum(share, followers / np.where(voters > 0, voters, 1.0)), share)
    if children:  # no outside dimension could tell: no evidence of a ripple
        return np.where(np.isinf(share), 0.0, share)
    return np.ones(len(own))  # a leaf of the cube


def _inside(small: tuple, big: tuple, cuboids: dict) -> bool:
    """Whether element small = (dims, index) lies inside element big (big's dimension values are small's)."""
    (small_dims, small_index), (big_dims, big_index) = small[:2], big[:2]
    if not set(big_dims) <= set(small_dims):
        return False
    positions = [small_dims.index(d) for d in big_dims]
    return bool((cuboids[small_dims].codes[small_index][positions] == cuboids[big_dims].codes[big_index]).all())


def _subsumed(earlier: tuple, later: tuple, cuboids: dict) -> bool:
    """Whether a cause found earlier lies strictly inside one found later that moved the same way: the later one
    is its ripple, found only once the earlier one no longer hid it (e.g. behind an opposite overlapping move).
    Causes are (dims, element, direction)."""
    return earlier[2] == later[2] and earlier[0] != later[0] and _inside(earlier, later, cuboids)


def _best_candidate(stats: dict, children: dict, floor: dict, cuboids: dict, *, significance: float,
                    min_change: float, follow_share: float, separation: float,
                    child_weight_power: float) -> tuple | None:
    """(cuboid, element) of the candidate whose move is surely largest, or None: the largest lower bound
    |move| - significance x noise, so an element padded with leaves that add noise and no move loses to the
    leaves that moved. An element containing it (fewer dimension values, not the whole cube) that is a
    candidate too, with a bound within one standard deviation of it, is preferred: the same move said more
    simply."""
    passing = []
    for dims, kids in children.items():
        s = stats[dims]
        size = np.abs(s["change"])
        relative = np.divide(size, np.abs(s["expected"]), out=np.full_like(size, np.inf), where=s["expected"] != 0)
        ok = (s["weight"] > 0) & floor[dims]
        ok &= (size >= significance * s["spread"]) & (relative >= min_change)
        if not ok.any():
            continue
        ok &= _ripple_share(s["dev"], [(stats[c], parent_of) for c, parent_of in kids], separation=separation,
                            ratio=_change(s, separation),
                            child_weight_power=child_weight_power) >= follow_share
        bound = size - significance * s["spread"]
        passing += [(dims, int(i), float(bound[i]), float(s["spread"][i])) for i in np.flatnonzero(ok)]
    if not passing:
        return None
    best = max(passing, key=lambda p: p[2])
    simpler = [p for p in passing if p[0] and _inside(best, p, cuboids) and p[2] >= best[2] - best[3]]
    return min(simpler, key=lambda p: (len(p[0]), -p[2]))[:2] if simpler else best[:2]


def localize(leaves: pd.DataFrame, *, dims: list[str], value_col: str, forecast_col: str,
             denominator_col: str | None = None, denominator_forecast_col: str | None = None, max_layer: int,
             max_causes: int, significance: float, min_change: float, min_share: float, follow_share: float,
             separation: float, child_weight_power: float, counts: bool = False,
             variance_col: str | None = None) -> pd.DataFrame:
    """The causes of one move, largest first: cause, explanatory_power (its move over the total's),
    share_of_move (its |move| over the cube's absolute abnormal move), observed, expected (sums; rates for a
    ratio), relative_change (observed / expected - 1), direction (up/down), layer (number of values) and
    significance (|move| over its noise standard deviation). No rows when the move has no localised cause.
    `counts`: the values count events (rows, accounts): a leaf's noise is at least the counting noise of its
    expected count (Poisson; binomial at its expected rate for a ratio), however calm the cube looks, and an
    element's noise is at least one event (a leaf seen once where nothing was expected is no cause).
    `variance_col`: each leaf's own variance of its move (e.g. from its history), used instead of the noise
    fitted over the cube."""
    if (denominator_col is None) != (denominator_forecast_col is None):
        raise ValueError("a ratio needs both denominator_col and denominator_forecast_col")
    observed, expected, expected_total = leaf_amounts(
        leaves, value_col=value_col, forecast_col=forecast_col, denominator_col=denominator_col,
        denominator_forecast_col=denominator_forecast_col)
    codes, labels = encode(leaves, list(dims))
    cuboids = build_cuboids(codes, min(max_layer, len(dims)))
    children = {d: [(c, parent_index(cuboids[c], cuboids[d])) for c in cuboids if len(c) == len(d) + 1
                    and set(d) < set(c)] for d in cuboids if len(d) <= max_layer}
    counting = None
    if counts:
        counting = np.abs(expected)
        if denominator_col is not None:
            den = numbers(leaves[denominator_col])
            rate = np.clip(np.divide(expected, den, out=np.zeros_like(expected), where=den > 0), 0.0, 1.0)
            counting = counting * (1.0 - rate)

    volume = (np.abs(observed) + np.abs(expected)) / 2.0
    if variance_col is not None:
        variance = np.maximum(numbers(leaves[variance_col]), counting if counting is not None else 0.0)
        variance = np.maximum(variance, 1e-24 * volume ** 2)
    else:
        variance = move_variance(observed, expected, counting)
    leaf = {"move": observed - expected, "expected": expected, "variance": variance, "volume": volume}
    abnormal = np.abs(leaf["move"]) > significance * np.sqrt(leaf["variance"])
    abnormal_move = max(abs(leaf["move"].sum()), float(np.abs(leaf["move"][abnormal]).sum()))
    # the share floor applies to an element's whole move, so a cause overlapping one found before keeps its due
    floor = {d: np.abs(cuboids[d].sums(leaf["move"])) >= min_share * abnormal_move for d in children}
    live = (leaf["volume"] > 0).astype(float)
    found: list[tuple[tuple[int, ...], int, float]] = []
    while len(found) < max_causes:
        stats = {d: _element_stats(c, live, leaf, 1.0 if counts else 0.0) for d, c in cuboids.items()}
        best = _best_candidate(stats, children, floor, cuboids, significance=significance, min_change=min_change,
                               follow_share=follow_share, separation=separation,
                               child_weight_power=child_weight_power)
        if best is None or not best[0]:  # nothing left, or what is left moved everywhere alike
            break
        best = (*best, np.sign(stats[best[0]]["change"][best[1]]))
        found = [f for f in found if not _subsumed(f, best, cuboids)] + [best]
        live = live * (cuboids[best[0]].inverse != best[1])
    return _describe(found, cuboids, labels, list(dims), observed, expected, leaf["variance"], leaves,
                     denominator_col, total_move=observed.sum() - expected_total, abnormal_move=abnormal_move)


def _describe(found, cuboids, labels, dims, observed, expected, variance, leaves, denominator_col, *,
              total_move: float, abnormal_move: float) -> pd.DataFrame:
    """The output rows of the causes found, each measured on all its leaves, largest move first."""
    if denominator_col is not None:
        denominator = numbers(leaves[denominator_col])
    rows = []
    for dims_, index, _ in found:
        members = cuboids[dims_].inverse == index
        o, e = observed[members].sum(), expected[members].sum()
        scale = denominator[members].sum() if denominator_col is not None else 1.0
        pairs = [(dims[d], labels[d][cuboids[dims_].codes[index][k]]) for k, d in enumerate(dims_)]
        rows.append({
            "cause": format_cause(pairs),
            "explanatory_power": (o - e) / total_move if total_move else np.nan,
            "share_of_move": abs(o - e) / abnormal_move if abnormal_move else np.nan,
            "observed": o / scale if scale else np.nan,
            "expected": e / scale if scale else np.nan,
            "relative_change": o / e - 1.0 if e else np.inf,
            "direction": "up" if o > e else "down",
            "layer": len(dims_),
            "significance": abs(o - e) / np.sqrt(variance[members].sum()),
        })
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    return out.sort_values("share_of_move", ascending=False, kind="stable").reset_index(drop=True)
