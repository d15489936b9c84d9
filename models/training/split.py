"""Time-based train/validation split, optionally with no account on both sides."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

BUCKETS = 10_000


def is_validation_account(*, share: float, seed: int) -> "F.Column":
    """True for a stable, seeded `share` of accounts (by hash of account_id)."""
    bucket = F.pmod(F.xxhash64(F.col("account_id"), F.lit(seed)), F.lit(BUCKETS))
    return bucket < F.lit(int(round(share * BUCKETS)))


def with_time_split(
    df: DataFrame,
    *,
    valid_from: dt.date,
    disjoint_accounts: bool = False,
    account_share: float = 0.3,
    seed: int = 7,
) -> DataFrame:
    """Adds `is_validation`: rows dated on or after `valid_from` are validation, earlier rows training.

    With `disjoint_accounts`, a hashed `account_share` of accounts is the validation population: their rows
    before `valid_from` and the other accounts' rows from `valid_from` are dropped, so no account is in both.
    """
    in_valid_period = F.col("ds") >= F.lit(valid_from)
    out = df.withColumn("is_validation", in_valid_period)
    if disjoint_accounts:
        valid_account = is_validation_account(share=account_share, seed=seed)
        out = out.filter(in_valid_period == valid_account)
    return out
