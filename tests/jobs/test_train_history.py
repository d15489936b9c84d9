"""`govern train` builds its own history: label dates whose creator_features were never computed are computed
through the feature job, and the training set equals the one built from features computed by `govern features`;
simulates a small landing zone (slow)."""

from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ctx(spark, tmp_path_factory):
    from creator_governance.config import load_config
    from creator_governance.runtime import JobContext
    from creator_governance.simulator import simulate
    from creator_governance.tables import Tables
    from creator_governance.jobs import ingest

    root = tmp_path_factory.mktemp("history")
    cfg = load_config(env="demo", overrides={"simulator": {"accounts": 600, "days": 14, "seed": 21},
                                             "tables": {"lakehouse": str(root / "lakehouse"), "engine": "delta-rs"}})
    simulate(spark, cfg.simulator, str(root / "landing"))
    context = JobContext(spark=spark, tables=Tables.from_config(spark, cfg.tables), cfg=cfg)
    ingest.run(context, str(root / "landing"))
    return context


def test_a_training_set_over_dates_never_materialised_equals_one_over_materialised_features(ctx):
    from creator_governance.jobs import build_features, train
    from creator_governance.models.training.labels import label_dates

    settings = ctx.cfg.model
    start = ctx.cfg.simulator.start
    first, last = start + dt.timedelta(days=3), start + dt.timedelta(days=8)
    as_of = last + dt.timedelta(days=settings.labels.horizon_days)
    dates = label_dates(first, last, stride_days=settings.labels.stride_days)
    build_features.run(ctx, dates)  # what `govern features` would have written
    materialised, columns, _ = train.training_rows(ctx, settings, as_of, first, last)
    materialised = materialised.toPandas()

    empty = ctx.tables.read("creator_features", ds=dates).limit(0)
    ctx.tables.overwrite_partitions("creator_features", empty, dates, job="test")  # as if never computed
    assert all(ctx.tables.partition_rows("creator_features", d) == 0 for d in dates)
    built = train.materialise(ctx, dates)
    assert built["dates"] == [d.isoformat() for d in dates]
    assembled, columns_again, _ = train.training_rows(ctx, settings, as_of, first, last)
    assert columns_again == columns
    keys = ["account_id", "ds"]
    spark = ctx.spark
    assert_df_equality(spark.createDataFrame(assembled.toPandas().sort_values(keys)),
                       spark.createDataFrame(materialised.sort_values(keys)),
                       ignore_row_order=True, ignore_nullable=True, allow_nan_equality=True)
    assert train.materialise(ctx, dates)["dates"] == []  # nothing left to compute

