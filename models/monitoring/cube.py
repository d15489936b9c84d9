"""The leaf cube behind the multi-dimensional root-cause search (models/monitoring/localize.py).

A cube is one row per leaf (one value of every dimension) with an observed and an expected amount. This
module turns it into numpy arrays: integer codes per dimension, each leaf's move (observed - expected), the
variance of that move under normal noise, and an index per cuboid (a combination of dimensions) so that sums
over every element of a cuboid are one `np.bincount`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

# Quantile bins of leaf volume over which the noise of a leaf's relative deviation is measured.
NOISE_BINS = 8
# Fewest leaves in one noise bin.
LEAVES_PER_BIN = 20
# Leaves whose deviation lies beyond this many standard deviations are left out of the second noise estimate.
OUTLIER_Z = 4.0
# Median absolute deviation to standard deviation of a normal variable.
MAD_TO_SD = 1.4826


def numbers(column: pd.Series) -> np.ndarray:
    """A numeric column as floats; a missing or unparseable cell is 0 (no activity in that leaf)."""
    return pd.to_numeric(column, errors="coerce").fillna(0.0).to_numpy(dtype=float)


def leaf_amounts(leaves: pd.DataFrame, *, value_col: str, forecast_col: str, denominator_col: str | None,
                 denominator_forecast_col: str | None) -> tuple[np.ndarray, np.ndarray, float]:
    """(observed, expected) amount per leaf, and the expected amount of the whole cube.

    A count or amount: the value and its forecast. A ratio (value / denominator): the observed numerator and
    the numerator expected at the observed denominator, forecast rate x observed denominator, so a leaf whose
    traffic moves with its numerator has not moved; a leaf with no forecast denominator takes the total's
    forecast rate. For a ratio the cube's expected amount is its forecast ratio x observed denominator: what
    the leaves' expected amounts do not add up to is a change of mix."""
    value, forecast = numbers(leaves[value_col]), numbers(leaves[forecast_col])
    if denominator_col is None:
        return value, forecast, float(forecast.sum())
    den, den_forecast = numbers(leaves[denominator_col]), numbers(leaves[denominator_forecast_col])
    total_rate = forecast.sum() / den_forecast.sum() if den_forecast.sum() > 0 else 0.0
    rate = np.divide(forecast, den_forecast, out=np.full(len(forecast), total_rate), where=den_forecast > 0)
    return value, rate * den, float(total_rate * den.sum())


def _robust_fit(dev: np.ndarray, volume: np.ndarray) -> tuple[float, float]:
    """(beta, alpha) of var(dev) = beta + alpha / volume, from the robust spread of dev in volume bins (up to
    NOISE_BINS, each of at least LEAVES_PER_BIN leaves: a median of a few leaves is itself noise)."""
    n_bins = min(NOISE_BINS, len(dev) // LEAVES_PER_BIN)
    if n_bins < 2:
        spread = (MAD_TO_SD * np.median(np.abs(dev))) ** 2 if len(dev) else 0.0
        return float(spread), 0.0
    order = np.argsort(volume, kind="stable")
    bins = np.array_split(order, n_bins)
    x = np.array([np.mean(1.0 / volume[b]) for b in bins])
    y = np.array([(MAD_TO_SD * np.median(np.abs(dev[b]))) ** 2 for b in bins])
    fit_weight = 1.0 / np.maximum(y, 1e-24)  # relative errors: bins span orders of magnitude
    design = np.stack([np.ones_like(x), x], axis=1) * np.sqrt(fit_weight)[:, None]
    beta, alpha = np.linalg.lstsq(design, y * np.sqrt(fit_weight), rcond=None)[0]
    if alpha < 0:
        return float(np.sum(fit_weight * y) / np.sum(fit_weight)), 0.0
    if beta < 0:
        return 0.0, float(np.sum(fit_weight * x * y) / np.sum(fit_weight * x * x))
    return float(beta), float(alpha)


def move_variance(observed: np.ndarray, expected: np.ndarray, floor: np.ndarray | None = None) -> np.ndarray:
    """Variance of each leaf's move (observed - expected) under normal noise.

    A leaf's relative deviation dev = (o - e) / w, with w = (|o| + |e|) / 2 its volume, has variance
    beta + alpha / w: a multiplicative part (forecast error) and a counting part (Poisson-like noise of small
    leaves). Both are fitted robustly (median absolute deviation per volume bin), once on every leaf and again
    without the leaves beyond OUTLIER_Z, so the anomalous leaves do not inflate the noise. Var(move) = w^2 var(dev),
    at least `floor` where given (the counting noise a count cannot be below).
    """
    volume = (np.abs(observed) + np.abs(expected)) / 2.0
    live = volume > 0
    dev = np.divide(observed - expected, volume, out=np.zeros_like(volume), where=live)
    keep = live
    var_dev = np.zeros_like(volume)
    for _ in range(2):
        beta, alpha = _robust_fit(dev[keep], volume[keep])
        var_dev = np.where(live, beta + alpha / np.where(live, volume, 1.0), 0.0)
        keep = live & (dev ** 2 <= OUTLIER_Z ** 2 * var_dev)
        if keep.sum() < 2:
            break
    fitted = volume ** 2 * var_dev if floor is None else np.maximum(volume ** 2 * var_dev, floor)
    return np.maximum(fitted, 1e-24 * volume ** 2)


@dataclass(frozen=True)
class Cuboid:
    """One combination of dimensions: each leaf's element (`inverse`) and each element's codes."""

    dims: tuple[int, ...]
    inverse: np.ndarray
    codes: np.ndarray

    @property
    def size(self) -> int:
        return len(self.codes)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """The sum of a per-leaf array over each element."""
        return np.bincount(self.inverse, weights=values, minlength=self.size)


def encode(leaves: pd.DataFrame, dims: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """(codes, labels): an integer code per leaf and dimension, and each dimension's values as text."""
    codes, labels = [], []
    for dim in dims:
        code, values = pd.factorize(leaves[dim].astype(str), sort=True)
        codes.append(code)
        labels.append(np.asarray(values, dtype=object))
    return np.stack(codes, axis=1) if codes else np.zeros((len(leaves), 0), dtype=int), labels


def build_cuboid(codes: np.ndarray, cardinality: np.ndarray, dims: tuple[int, ...]) -> Cuboid:
    """The index of one cuboid: leaves grouped by their codes on `dims`."""
    if not dims:
        return Cuboid(dims, np.zeros(len(codes), dtype=np.int64), np.zeros((1, 0), dtype=np.int64))
    shape = cardinality[list(dims)]
    if float(np.prod(shape.astype(float))) < 2.0 ** 62:
        keys = np.ravel_multi_index(codes[:, list(dims)].T, shape)
        unique, inverse = np.unique(keys, return_inverse=True)
        group_codes = np.stack(np.unravel_index(unique, shape), axis=1)
    else:
        group_codes, inverse = np.unique(codes[:, list(dims)], axis=0, return_inverse=True)
    return Cuboid(dims, inverse.reshape(-1), group_codes)


def build_cuboids(codes: np.ndarray, max_layer: int) -> dict[tuple[int, ...], Cuboid]:
    """Every cuboid of up to max_layer + 1 dimensions (the extra layer holds the children of the deepest)."""
    n_dims = codes.shape[1]
    cardinality = codes.max(axis=0) + 1 if len(codes) else np.ones(n_dims, dtype=int)
    return {dims: build_cuboid(codes, cardinality, dims)
            for layer in range(min(max_layer + 1, n_dims) + 1)
            for dims in combinations(range(n_dims), layer)}


def parent_index(child: Cuboid, parent: Cuboid) -> np.ndarray:
    """For each element of `child` (a cuboid of one more dimension), its element in `parent`."""
    out = np.zeros(child.size, dtype=np.int64)
    out[child.inverse] = parent.inverse
    return out
