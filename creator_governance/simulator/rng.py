"""Deterministic randomness as Spark columns: every draw is a hash of (seed, purpose, coordinates).

`F.rand(seed)` depends on partitioning; a hash of the row's coordinates does not, so the same seed gives the
same rows whatever the cluster, partition count or re-execution.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

_TWO_53 = float(2**53)


def col(value) -> Column:
    """A column from a column, a column name or a literal."""
    if isinstance(value, Column):
        return value
    if isinstance(value, str):
        return F.col(value)
    return F.lit(value)


def hash64(seed: int, purpose: str, *coords) -> Column:
    """A 64-bit hash of the seed, a purpose tag and the coordinates (a long, possibly negative)."""
    return F.xxhash64(F.lit(seed), F.lit(purpose), *[col(c) for c in coords])


def uniform(seed: int, purpose: str, *coords) -> Column:
    """A uniform double in [0, 1) from 53 bits of the hash."""
    return F.shiftrightunsigned(hash64(seed, purpose, *coords), 11).cast("double") / F.lit(_TWO_53)


def below(u: Column, n) -> Column:
    """An integer in [0, n) from a uniform (n a column or a number)."""
    return F.least(F.floor(u * col(n)), col(n) - 1).cast("long")


def between(u: Column, lo: int, hi: int) -> Column:
    """An integer in [lo, hi] from a uniform."""
    return (F.lit(lo) + below(u, hi - lo + 1)).cast("long")


def pick(u: Column, values: Sequence, weights: Sequence[float] | None = None) -> Column:
    """One of `values`, chosen by the uniform `u` with the given relative weights (equal by default)."""
    weights = list(weights or [1.0] * len(values))
    total = float(sum(weights))
    expr, cumulative = None, 0.0
    for value, weight in list(zip(values, weights))[:-1]:
        cumulative += weight / total
        cond = u < F.lit(cumulative)
        expr = F.when(cond, F.lit(value)) if expr is None else expr.when(cond, F.lit(value))
    last = F.lit(values[-1])
    return last if expr is None else expr.otherwise(last)


def hex16(seed: int, purpose: str, *coords) -> Column:
    """A 16-hex-digit string hash (fingerprints, IP parts)."""
    return F.lpad(F.lower(F.hex(hash64(seed, purpose, *coords))), 16, "0")


def rounded_count(rate: Column, u: Column) -> Column:
    """floor(rate + u): an integer count whose mean is exactly `rate` (randomised rounding)."""
    return F.floor(rate + u).cast("int")
