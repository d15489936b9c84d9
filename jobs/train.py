"""`govern train --ds D` (or `--from A --to B` for the label dates): train the violation model.

With `--ds D`, label dates run up to D - horizon (every label is known by D) over `training.window_days`;
decisions dated after D are never read. The model is trained on the label dates (xgboost.spark, or xgboost on
the driver for a small set or on Spark Connect: `training.trainer`), early stopping on the last
`validation_days` of them, evaluated, saved under `<tables.files>/_models/<version>/`
(booster JSON + metadata JSON), and registered in `model_registry`; metrics go to `model_evaluation`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import time

from pyspark.sql import functions as F

from creator_governance.contract import ENTITIES
from creator_governance.jobargs import UsageError, job_parser, parse_date
from creator_governance.jobs.model_store import REGISTRY, log_to_mlflow, models_root, save_model
from creator_governance.models.scoring.score import predict_scores, trimmed_booster
from creator_governance.models.training.evaluate import evaluate, headline
from creator_governance.models.training.labels import (
    build_labels, build_training_rows, label_dates, reviewed_validation,
)
from creator_governance.models.training.split import with_time_split
from creator_governance.models.training.xgb import (
    auto_scale_pos_weight, booster_params, fit_local, make_spark_classifier, margin_offset, numeric_feature_columns,
)
from creator_governance.runtime import JobContext, NotReady, is_connect
from creator_governance.settings import ModelSettings
from creator_governance.settings.model import TrainingSettings

log = logging.getLogger("jobs.train")

EVALUATION = "model_evaluation"


def chosen_trainer(t: TrainingSettings, *, connect: bool, rows: int) -> str:
    """Who fits the booster: `training.trainer`, or for `auto` the driver (xgboost over the collected rows) on
    Spark Connect (no barrier tasks) or for at most `local_max_rows` rows, xgboost.spark otherwise."""
    if t.trainer != "auto":
        return t.trainer
    return "local" if connect or rows <= t.local_max_rows else "spark"


def parser():
    parser = job_parser("govern train", "Train the violation model (XGBoost) as of --ds, or on the "
                                        "label dates --from A --to B.")
    return parser


def parse_args(argv: list[str] | None):
    return parser().parse_args(argv)


def window_of(args, settings: ModelSettings) -> tuple[dt.date, dt.date, dt.date]:
    """(as_of, first label date, last label date) from --ds or --from/--to."""
    horizon = settings.labels.horizon_days
    if args.ds and not (args.ds_from or args.ds_to):
        as_of = parse_date(args.ds, "--ds")
        last = as_of - dt.timedelta(days=horizon)
        return as_of, last - dt.timedelta(days=settings.training.window_days - 1), last
    if args.ds_from and args.ds_to:
        first, last = parse_date(args.ds_from, "--from"), parse_date(args.ds_to, "--to")
        as_of = parse_date(args.ds, "--ds") if args.ds else last + dt.timedelta(days=horizon)
        if last + dt.timedelta(days=horizon) > as_of:
            raise UsageError(f"--to {last}: labels of that date are only known on {last + dt.timedelta(days=horizon)}")
        return as_of, first, last
    raise UsageError("which window? give --ds YYYY-MM-DD (train as of that day) or --from A --to B (label dates)")


ACTIVITY = ("sessions", "content", "engagements", "orders", "decisions")


def first_history_day(ctx: JobContext) -> dt.date | None:
    """The first day of any ingested activity: label dates before it have no history to learn from."""
    firsts = [ctx.tables.read(t).agg(F.min("ds").alias("d")).first()["d"] for t in ACTIVITY if ctx.tables.exists(t)]
    firsts = [d for d in firsts if d is not None]
    return min(firsts) if firsts else None


def adapted_window(first: dt.date, last: dt.date, history_from: dt.date | None, *, validation_days: int,
                   stride_days: int) -> tuple[dt.date, int, str | None]:
    """(first label date, validation days, why) of a label window cut to the history that exists: label dates
    start at the first day of history, and the validation days are at most a third of what is left (at least
    one stride) so both sides keep label dates."""
    why = None
    if history_from is not None and first < history_from:
        why = f"label dates from {history_from} (first day of history) instead of {first}"
        first = history_from
    if last < first:
        raise NotReady(f"train: no label date with history: the last label date {last} is before the first day "
                       f"of history {first}")
    span = (last - first).days + 1
    if validation_days > max(stride_days, span // 3):
        shorter = max(stride_days, span // 3)
        why = (why + "; " if why else "") + f"validation on the last {shorter} days instead of {validation_days}"
        validation_days = shorter
    return first, validation_days, why


def materialise(ctx: JobContext, dates: list[dt.date]) -> dict:
    """Compute and write creator_features of the label dates that were never materialised, in one range pass
    through the feature job (the same code as the daily features, so training and scoring agree)."""
    have = ctx.tables.exists("creator_features")
    missing = [d for d in dates if not have or not ctx.tables.partition_rows("creator_features", d)]
    if not missing:
        return {"dates": [], "seconds": 0.0}
    from creator_governance.jobs import build_features

    start = time.monotonic()
    build_features.run(ctx, missing)
    seconds = round(time.monotonic() - start, 1)
    log.info("train: computed the features of %d label dates without them (%s..%s) in %.1f s", len(missing),
             missing[0], missing[-1], seconds)
    return {"dates": [d.isoformat() for d in missing], "seconds": seconds}


def training_rows(ctx: JobContext, settings: ModelSettings, as_of: dt.date, first: dt.date, last: dt.date,
                  validation_days: int | None = None):
    """(rows with is_validation, feature columns, validation start): the point-in-time training set."""
    dates = label_dates(first, last, stride_days=settings.labels.stride_days)
    features = ctx.tables.read("creator_features", ds=dates)
    decisions = ctx.tables.read_or_empty("decisions", ENTITIES["decisions"].bronze_schema(), ds_from=first, ds_to=as_of)
    t = settings.training
    columns = list(t.features) or numeric_feature_columns(features.schema, exclude=t.exclude_features)
    labels = build_labels(decisions, features, horizon_days=settings.labels.horizon_days, as_of=as_of,
                          unreviewed_weight=settings.labels.unreviewed_weight,
                          exclude_prior_violators=settings.labels.exclude_prior_violators,
                          co_member_weight=settings.labels.co_member_weight)
    valid_from = last - dt.timedelta(days=(validation_days or t.validation_days) - 1)
    rows = with_time_split(build_training_rows(labels, features, feature_columns=columns), valid_from=valid_from,
                           disjoint_accounts=t.disjoint_accounts, account_share=t.validation_account_share, seed=t.seed)
    return reviewed_validation(rows, settings.labels.unreviewed_weight), columns, valid_from



def run(ctx: JobContext, as_of: dt.date, first: dt.date, last: dt.date, *, version: str | None = None) -> dict:
    """Train, evaluate, save and register one model; returns the summary (version, metrics, seconds)."""
    settings = ctx.cfg.model
    t = settings.training
    asked = (first, last)
    first, validation_days, adapted = adapted_window(first, last, first_history_day(ctx),
                                                     validation_days=t.validation_days,
                                                     stride_days=settings.labels.stride_days)
    built = (materialise(ctx, label_dates(first, last, stride_days=settings.labels.stride_days))
             if t.materialise_missing_features else {"dates": [], "seconds": 0.0})
    rows, columns, valid_from = training_rows(ctx, settings, as_of, first, last, validation_days)
    rows = rows.persist()
    counts = {r["is_validation"]: (r["n"], r["pos"]) for r in
              rows.groupBy("is_validation").agg(F.count(F.lit(1)).alias("n"), F.sum("label").alias("pos")).collect()}
    train_pos, valid_pos = counts.get(False, (0, 0))[1], counts.get(True, (0, 0))[1]
    if train_pos < t.min_train_positives or valid_pos < t.min_validation_positives:
        rows.unpersist()
        raise NotReady(f"train: not enough positive labels in the label dates {first}..{last} (asked "
                       f"{asked[0]}..{asked[1]}): training {train_pos} (min_train_positives "
                       f"{t.min_train_positives}), validation {valid_pos} "
                       f"(min_validation_positives {t.min_validation_positives})")
    train_only = rows.filter(~F.col("is_validation"))
    spw = (auto_scale_pos_weight(train_only, cap=t.max_scale_pos_weight) if t.scale_pos_weight == "auto"
           else float(t.scale_pos_weight))
    params = booster_params(t, spw)
    start = time.monotonic()
    trainer = chosen_trainer(t, connect=is_connect(ctx.spark), rows=sum(n for n, _ in counts.values()))
    if trainer == "spark":
        fitted = make_spark_classifier(columns, params, num_workers=t.num_workers).fit(rows).get_booster()
    else:  # xgboost on the driver, over the collected training rows (Spark Connect offers no barrier tasks)
        fitted = fit_local(rows.select(*columns, "label", "weight", "is_validation").toPandas(), columns, params)
    seconds = time.monotonic() - start
    booster = trimmed_booster(fitted)
    raw = bytes(booster.save_raw("json"))
    offset = margin_offset(spw)
    validation = rows.filter(F.col("is_validation"))
    scored = predict_scores(validation, booster_raw=raw, feature_columns=columns, keep_columns=["label"],
                            margin_offset=offset)
    metrics = evaluate(scored, top_shares=t.top_k_shares, thresholds=t.thresholds, bins=t.calibration_bins)
    top = headline(metrics)
    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    version = version or f"xgb-{as_of:%Y%m%d}-{created:%H%M%S}"
    approved = t.auto_approve and (top.get("pr_auc") or 0.0) >= t.min_pr_auc
    types = {f.name: f.dataType.simpleString() for f in ctx.tables.read("creator_features", ds=[last]).schema.fields}
    metadata = {
        "version": version, "created_at": created.isoformat(), "as_of": as_of.isoformat(),
        "train_from": first.isoformat(), "train_to": last.isoformat(), "valid_from": valid_from.isoformat(),
        "horizon_days": settings.labels.horizon_days, "features": columns,
        "feature_types": {c: types.get(c, "double") for c in columns},
        "params": {**params, "num_workers": t.num_workers, "trainer": trainer,
                   "best_iteration": booster.num_boosted_rounds()},
        "scale_pos_weight": spw, "margin_offset": offset, "metrics": top, "rows": {
            "train": counts[False][0], "train_positives": counts[False][1], "validation": counts[True][0],
            "validation_positives": counts[True][1]},
        "training_seconds": round(seconds, 1), "status": "approved" if approved else "candidate",
        "window_adapted": adapted, "features_materialised": built,
    }
    folder = save_model(models_root(ctx), version, booster, metadata)
    example = rows.select(*columns).limit(5).toPandas() if settings.training.mlflow_registered_model else None
    mlflow = log_to_mlflow(settings, metadata, folder, booster, example)
    spark = ctx.spark
    registry = spark.createDataFrame([(
        version, created, as_of, first, last, settings.labels.horizon_days, columns, json.dumps(top),
        json.dumps(metadata["params"]), metadata["status"], folder, mlflow.get("mlflow_run_id"),
        mlflow.get("mlflow_model_version"),
    )], "version string, created_at timestamp, as_of date, train_from date, train_to date, horizon_days int, "
        "features array<string>, metrics_json string, params_json string, status string, path string, "
        "mlflow_run_id string, mlflow_model_version string")
    ctx.tables.append(REGISTRY, registry, job="train")
    evaluation = spark.createDataFrame(
        [(version, created, "validation", m["metric"], m["value"], m["threshold"], m["top_share"]) for m in metrics],
        "version string, created_at timestamp, split string, metric string, value double, threshold double, "
        "top_share double")
    ctx.tables.append(EVALUATION, evaluation, job="train")
    rows.unpersist()
    return {**metadata, "mlflow": mlflow, "path": folder}


def run_job(ctx: JobContext, days: list[dt.date], args) -> dict:
    """Train on the label dates --from/--to (as of --ds, or when their labels are known), else as of the last day."""
    if not (args.ds_from or args.ds_to):
        args = argparse.Namespace(**{**vars(args), "ds": days[-1].isoformat()})
    as_of, first, last = window_of(args, ctx.cfg.model)
    return run(ctx, as_of, first, last)


def report(days: list[dt.date], s: dict) -> str:
    m = s["metrics"]
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    lines = []
    if s["window_adapted"]:
        lines.append(f"train: window adapted to the history: {s['window_adapted']}")
    if s["features_materialised"]["dates"]:
        built = s["features_materialised"]
        lines.append(f"train: computed creator_features of {len(built['dates'])} label dates that had none "
                     f"({built['dates'][0]}..{built['dates'][-1]}) in {built['seconds']} s")
    lines.append(f"train: {s['version']} ({s['status']}) on labels {s['train_from']}..{s['train_to']}, "
                 f"{s['rows']['train']} train / {s['rows']['validation']} validation rows, "
                 f"{s['params']['best_iteration']} trees in {s['training_seconds']} s; validation ROC-AUC "
                 f"{fmt(m.get('roc_auc'))}, PR-AUC {fmt(m.get('pr_auc'))}, precision@1% "
                 f"{fmt(m.get('precision_at_1pct'))}; saved to {s['path']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from creator_governance.jobs.registry import job

    return job("train").main(argv)
