"""The violation model's estimators: distributed (xgboost.spark) and single-node with the same parameters."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

if TYPE_CHECKING:  # annotations only: the job passes the validated `model.training` section as it is
    from creator_governance.settings.model import TrainingSettings

KEY_COLUMNS = ("account_id", "ds", "ds_index")
NUMERIC_TYPES = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType, T.DecimalType,
                 T.BooleanType)


# The fields of the training section (`model.training`) that are the booster's own parameters, in xgboost's names.
BOOSTER_FIELDS = ("n_estimators", "max_depth", "learning_rate", "subsample", "colsample_bytree", "min_child_weight",
                  "early_stopping_rounds")


def booster_params(training: TrainingSettings, scale_pos_weight: float) -> dict:
    """The booster's parameters, shared by the distributed and the single-node estimator and recorded with the
    model: the training section's booster fields, the positive weight the data gave, the seed."""
    return {**{name: getattr(training, name) for name in BOOSTER_FIELDS}, "scale_pos_weight": scale_pos_weight,
            "seed": training.seed}


def xgb_kwargs(params: dict) -> dict:
    """Keyword arguments understood by both xgboost.XGBClassifier and SparkXGBClassifier."""
    kwargs = {k: v for k, v in params.items() if k != "seed"}
    return {**kwargs, "tree_method": "hist", "eval_metric": "aucpr", "random_state": params["seed"]}


def numeric_feature_columns(schema: T.StructType, *, exclude: tuple[str, ...] = ()) -> list[str]:
    """Numeric (and boolean) columns of `schema` except keys, ids and `exclude`, in schema order."""
    skip = set(KEY_COLUMNS) | set(exclude)
    return [f.name for f in schema.fields
            if isinstance(f.dataType, NUMERIC_TYPES) and f.name not in skip and not f.name.endswith("_id")]


def auto_scale_pos_weight(training: DataFrame, *, cap: float, label_col: str = "label",
                          weight_col: str = "weight") -> float:
    """Weighted negatives / weighted positives of the training rows, within [1, cap]."""
    row = training.agg(
        F.sum(F.when(F.col(label_col) == 1, F.col(weight_col)).otherwise(0.0)).alias("pos"),
        F.sum(F.when(F.col(label_col) == 0, F.col(weight_col)).otherwise(0.0)).alias("neg"),
    ).first()
    pos, neg = float(row["pos"] or 0.0), float(row["neg"] or 0.0)
    if pos <= 0.0:
        return 1.0
    return float(min(max(neg / pos, 1.0), cap))


def make_spark_classifier(
    feature_columns: list[str],
    params: dict,
    *,
    num_workers: int,
    label_col: str = "label",
    weight_col: str | None = "weight",
    validation_indicator_col: str | None = "is_validation",
):
    """An unfitted SparkXGBClassifier over the feature columns (nulls are missing values).

    With `validation_indicator_col`, rows where it is true are the evaluation set of early stopping.
    """
    from xgboost.spark import SparkXGBClassifier

    kwargs = xgb_kwargs(params)
    if validation_indicator_col is None:
        kwargs.pop("early_stopping_rounds")
    extra = {"weight_col": weight_col} if weight_col else {}
    if validation_indicator_col:
        extra["validation_indicator_col"] = validation_indicator_col
    return SparkXGBClassifier(
        features_col=list(feature_columns), label_col=label_col, num_workers=num_workers, verbose=False,
        missing=math.nan, **extra, **kwargs,
    )


def make_local_classifier(params: dict, *, n_jobs: int = 1):
    """The single-node xgboost.XGBClassifier with the same parameters (trainer local, and benchmarks)."""
    from xgboost import XGBClassifier

    kwargs = xgb_kwargs(params)
    return XGBClassifier(n_jobs=n_jobs, missing=math.nan, **kwargs)


def fit_local(rows, feature_columns: list[str], params: dict, *, label_col: str = "label",
              weight_col: str = "weight", validation_col: str = "is_validation"):
    """The booster of the single-node estimator fitted on a pandas frame of training rows, the rows where
    `validation_col` is true as the early-stopping set (as `make_spark_classifier` does on the executors)."""
    columns = list(feature_columns)
    valid = rows[validation_col].astype(bool)
    train, check = rows[~valid], rows[valid]
    x = lambda frame: frame[columns].astype("float32")  # noqa: E731 - nulls arrive as NaN: missing values
    model = make_local_classifier(params)
    model.fit(x(train), train[label_col].astype(int), sample_weight=train[weight_col],
              eval_set=[(x(check), check[label_col].astype(int))], sample_weight_eval_set=[check[weight_col]],
              verbose=False)
    return model.get_booster()


def margin_offset(scale_pos_weight: float) -> float:
    """Log-odds shift that turns scores of a model trained with positives up-weighted by `scale_pos_weight`
    back into probabilities (the prior correction: odds / scale_pos_weight)."""
    return -math.log(scale_pos_weight) if scale_pos_weight > 0 else 0.0
