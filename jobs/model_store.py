"""The one model store: save a trained booster, find the model to score with, say when training is due, and
mirror models to MLflow when it is configured. Used by `govern train`, `govern score`, `govern run` and the
benchmarks.

- Files: `<tables.files>/_models/<version>/model.json` (the booster) and `metadata.json` (features, window,
  metrics, margin offset); the Delta table `model_registry` holds one row per model (status `approved` or
  `candidate`, the folder, and the MLflow run and model version when logged there).
- MLflow (`model.training.mlflow_tracking_uri`, or $MLFLOW_TRACKING_URI): parameters, headline metrics and the
  model folder are logged as a run; with `mlflow_registered_model` set, the booster is logged as an MLflow
  xgboost model with a signature and an input example, registered under that name, and an approved model gets
  the alias `mlflow_alias` (e.g. `champion`). `govern score` then resolves the model by that alias; without
  MLflow configured (or without the alias yet) it takes the newest approved row of `model_registry`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os

from pyspark.sql import functions as F

from creator_governance.runtime import JobContext, NotReady
from creator_governance.settings import ModelSettings
from creator_governance.tables import TableError

log = logging.getLogger("jobs.model_store")

REGISTRY = "model_registry"


class NoApprovedModel(NotReady):
    """No model to score with: model_registry has no approved model (and MLflow no alias)."""


def models_root(ctx: JobContext) -> str:
    return ctx.tables.folder("_models")


def save_model(root: str, version: str, booster, metadata: dict) -> str:
    """Write `<root>/<version>/model.json` and `metadata.json`; returns the folder."""
    folder = os.path.join(root, version)
    os.makedirs(folder, exist_ok=True)
    booster.save_model(os.path.join(folder, "model.json"))
    with open(os.path.join(folder, "metadata.json"), "w") as fh:
        json.dump(metadata, fh, indent=2, sort_keys=True, default=str)
    return folder


def latest_approved(ctx: JobContext) -> dict:
    """The registry row of the newest approved model (a handful of rows: collected)."""
    if not ctx.tables.exists(REGISTRY):
        raise NoApprovedModel("score: no model_registry table: run `govern train` first")
    rows = (ctx.tables.read(REGISTRY).filter(F.col("status") == "approved")
            .orderBy(F.col("created_at").desc(), F.col("version").desc()).limit(1).collect())
    if not rows:
        raise NoApprovedModel("score: model_registry has no approved model")
    return rows[0].asDict()


def model_folder(root: str | None, entry: dict) -> str:
    """The folder of a model_registry row: `<root>/<version>` when it holds the model (`root` is this lakehouse's
    `_models`, None when it has no files folder: a lakehouse copied, moved or mounted at another path keeps its
    models beside its registry), else the folder recorded when the model was saved; an error naming both when
    neither holds it."""
    here = os.path.join(root, entry["version"]) if root else None
    for folder in (here, entry["path"]):
        if folder and all(os.path.isfile(os.path.join(folder, f)) for f in ("model.json", "metadata.json")):
            return folder
    raise FileNotFoundError(f"model {entry['version']}: no model.json and metadata.json in "
                            + (f"{here} (this lakehouse's models) nor in " if here else "")
                            + f"{entry['path']} (where model_registry says it was saved)")


def load_model(folder: str) -> tuple[bytes, dict]:
    """(booster bytes, metadata) from the model's folder."""
    with open(os.path.join(folder, "model.json"), "rb") as fh:
        raw = fh.read()
    with open(os.path.join(folder, "metadata.json")) as fh:
        return raw, json.load(fh)


def model_to_score(ctx: JobContext) -> tuple[bytes, dict]:
    """(booster bytes, metadata) of the model `govern score` uses: the MLflow alias when configured and set,
    else the newest approved model of model_registry."""
    found = champion(ctx.cfg.model)
    if found is not None:
        return found
    return load_approved(ctx)


def load_approved(ctx: JobContext) -> tuple[bytes, dict]:
    """(booster bytes, metadata) of the newest approved model of model_registry, from its folder (`model_folder`)."""
    entry = latest_approved(ctx)
    try:
        root = models_root(ctx)
    except TableError:  # an object-store lakehouse without a files folder: only the recorded folder
        root = None
    return load_model(model_folder(root, entry))


def training_due(ctx: JobContext, day: dt.date, retrain_days: int) -> bool:
    """No approved model yet, or the newest was trained as of `retrain_days` or more before `day`."""
    if not ctx.tables.exists(REGISTRY):
        return True
    newest = (ctx.tables.read(REGISTRY).filter(F.col("status") == "approved")
              .agg(F.max("as_of").alias("as_of")).first()["as_of"])
    return newest is None or (day - newest).days >= retrain_days


# ---- MLflow ---------------------------------------------------------------------------------------------------
def _tracking_uri(settings: ModelSettings) -> str | None:
    return settings.training.mlflow_tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")


def _mlflow():
    try:
        import mlflow
    except ImportError:
        log.info("mlflow not installed: skipping MLflow")
        return None
    return mlflow


def log_to_mlflow(settings: ModelSettings, metadata: dict, folder: str, booster=None, example=None) -> dict:
    """Log the run (params, headline metrics, the model folder) when a tracking URI is set and mlflow is
    installed; with `mlflow_registered_model`, also the booster as an MLflow model (signature and input example
    from `example`, a few feature rows as pandas) registered under that name, and the alias on an approved
    model. Returns {} when nothing was logged, else mlflow_run_id and, when registered, mlflow_model_version."""
    t = settings.training
    uri = _tracking_uri(settings)
    mlflow = _mlflow() if uri else None
    if mlflow is None:
        return {}
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(t.mlflow_experiment)
    out: dict = {}
    with mlflow.start_run(run_name=metadata["version"]) as run:
        out["mlflow_run_id"] = run.info.run_id
        mlflow.log_params(dict(metadata["params"]))
        mlflow.log_metrics({k: v for k, v in metadata["metrics"].items() if v is not None})
        mlflow.log_artifacts(folder)
        if t.mlflow_registered_model and booster is not None and example is not None:
            import xgboost as xgb
            from mlflow.models import infer_signature

            frame = example.astype("float64")
            signature = infer_signature(frame, booster.predict(xgb.DMatrix(frame)))
            info = mlflow.xgboost.log_model(booster, name="model", signature=signature, input_example=frame,
                                            registered_model_name=t.mlflow_registered_model)
            out["mlflow_model_version"] = str(info.registered_model_version)
    if out.get("mlflow_model_version") and metadata.get("status") == "approved":
        mlflow.MlflowClient().set_registered_model_alias(t.mlflow_registered_model, t.mlflow_alias,
                                                         out["mlflow_model_version"])
        log.info("mlflow: %s version %s is now @%s", t.mlflow_registered_model, out["mlflow_model_version"],
                 t.mlflow_alias)
    return out


def champion(settings: ModelSettings) -> tuple[bytes, dict] | None:
    """(booster bytes, metadata) of the registered model's alias in MLflow, or None when MLflow is not configured
    for models or the alias is not set yet."""
    t = settings.training
    uri = _tracking_uri(settings)
    mlflow = _mlflow() if uri and t.mlflow_registered_model else None
    if mlflow is None:
        return None
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient()
    try:
        version = client.get_model_version_by_alias(t.mlflow_registered_model, t.mlflow_alias)
    except mlflow.exceptions.MlflowException as exc:
        log.info("mlflow: no %s@%s (%s): using model_registry", t.mlflow_registered_model, t.mlflow_alias,
                 str(exc).splitlines()[0])
        return None
    booster = mlflow.xgboost.load_model(f"models:/{t.mlflow_registered_model}@{t.mlflow_alias}")
    path = mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path="metadata.json")
    with open(path) as fh:
        metadata = json.load(fh)
    metadata["mlflow_model_version"] = str(version.version)
    return bytes(booster.save_raw("json")), metadata
