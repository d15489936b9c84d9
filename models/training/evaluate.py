"""Evaluation of scored validation rows, aggregated in Spark (only a few numbers reach the driver).

Every function takes a frame with a 0/1 `label` and a probability `score` and returns metric rows:
{"metric", "value", "threshold", "top_share"} (threshold and top_share null when not relevant).
"""

from __future__ import annotations

from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

EVALUATION_COLUMNS = ["metric", "value", "threshold", "top_share"]


def _row(metric: str, value: float | None, threshold: float | None = None, top_share: float | None = None) -> dict:
    return {"metric": metric, "value": None if value is None else float(value),
            "threshold": threshold, "top_share": top_share}


def ranking_metrics(scored: DataFrame, *, score_col: str = "score", label_col: str = "label") -> list[dict]:
    """ROC-AUC and PR-AUC (Spark's exact curves, numBins=0), rows and positives."""
    frame = scored.select(F.col(score_col).cast("double").alias("score"), F.col(label_col).cast("double").alias("label"))
    counts = frame.agg(F.count(F.lit(1)).alias("rows"), F.sum("label").alias("positives")).first()
    out = [_row("rows", counts["rows"]), _row("positives", counts["positives"] or 0)]
    if not counts["positives"] or counts["positives"] == counts["rows"]:
        return out + [_row("roc_auc", None), _row("pr_auc", None)]
    for metric, name in (("areaUnderROC", "roc_auc"), ("areaUnderPR", "pr_auc")):
        evaluator = BinaryClassificationEvaluator(rawPredictionCol="score", labelCol="label", metricName=metric,
                                                  numBins=0)
        out.append(_row(name, evaluator.evaluate(frame)))
    return out


def _precision_recall_at(frame: DataFrame, cuts: dict[str, "F.Column"]) -> dict[str, tuple[float, float, float]]:
    """For each named flag condition: (precision, recall, flagged share) in one pass."""
    aggs = [F.count(F.lit(1)).alias("rows"), F.sum("label").alias("positives")]
    for name, flagged in cuts.items():
        aggs += [F.sum(flagged.cast("double")).alias(f"{name}_n"),
                 F.sum(F.when(flagged, F.col("label")).otherwise(0.0)).alias(f"{name}_tp")]
    row = frame.agg(*aggs).first()
    rows, positives = float(row["rows"] or 0), float(row["positives"] or 0)
    out = {}
    for name in cuts:
        n, tp = float(row[f"{name}_n"] or 0), float(row[f"{name}_tp"] or 0)
        out[name] = (tp / n if n else None, tp / positives if positives else None, n / rows if rows else None)
    return out


def precision_recall(scored: DataFrame, *, top_shares: tuple[float, ...], thresholds: tuple[float, ...],
                     score_col: str = "score", label_col: str = "label", relative_error: float = 1e-4) -> list[dict]:
    """Precision and recall of the top `top_shares` of rows by score (cut at an approximate quantile) and of
    rows scoring at least each threshold, with the flagged share."""
    frame = scored.select(F.col(score_col).cast("double").alias("score"), F.col(label_col).cast("double").alias("label"))
    cuts = (frame.approxQuantile("score", [1.0 - s for s in top_shares], relative_error) if top_shares else [])
    conditions = {f"k{i}": F.col("score") >= F.lit(c) for i, c in enumerate(cuts)}
    conditions |= {f"t{i}": F.col("score") >= F.lit(t) for i, t in enumerate(thresholds)}
    stats = _precision_recall_at(frame, conditions)
    out = []
    for i, share in enumerate(top_shares[:len(cuts)]):
        precision, recall, flagged = stats[f"k{i}"]
        out += [_row("precision_at_top", precision, cuts[i], share), _row("recall_at_top", recall, cuts[i], share)]
    for i, t in enumerate(thresholds):
        precision, recall, flagged = stats[f"t{i}"]
        out += [_row("precision_at_threshold", precision, t), _row("recall_at_threshold", recall, t),
                _row("flagged_share_at_threshold", flagged, t)]
    return out


def calibration(scored: DataFrame, *, bins: int, score_col: str = "score", label_col: str = "label") -> list[dict]:
    """Equal-width score bins (threshold = lower edge): rows, mean score, observed rate; plus Brier score and
    the expected calibration error (row-weighted |mean score - observed rate|)."""
    frame = scored.select(F.col(score_col).cast("double").alias("score"), F.col(label_col).cast("double").alias("label"))
    bin_index = F.least(F.floor(F.col("score") * bins), F.lit(bins - 1)).cast("int")
    per_bin = (frame.groupBy(bin_index.alias("bin"))
               .agg(F.count(F.lit(1)).alias("n"), F.avg("score").alias("mean_score"), F.avg("label").alias("rate"))
               .orderBy("bin").collect())
    brier = frame.agg(F.avg((F.col("score") - F.col("label")) ** 2)).first()[0]
    total = sum(r["n"] for r in per_bin)
    out = [_row("brier", brier)]
    ece = 0.0
    for r in per_bin:
        edge = r["bin"] / bins
        out += [_row("calibration_rows", r["n"], edge), _row("calibration_mean_score", r["mean_score"], edge),
                _row("calibration_observed_rate", r["rate"], edge)]
        ece += r["n"] / total * abs(r["mean_score"] - r["rate"])
    out.append(_row("expected_calibration_error", ece if total else None))
    return out


def evaluate(scored: DataFrame, *, top_shares: tuple[float, ...], thresholds: tuple[float, ...],
             bins: int) -> list[dict]:
    """All metric rows of one scored validation set."""
    cached = scored.select(F.col("score").cast("double").alias("score"),
                           F.col("label").cast("double").alias("label")).cache()
    try:
        return (ranking_metrics(cached) + precision_recall(cached, top_shares=top_shares, thresholds=thresholds)
                + calibration(cached, bins=bins))
    finally:
        cached.unpersist()


def headline(metrics: list[dict]) -> dict[str, float]:
    """The few numbers a summary line shows: roc_auc, pr_auc, precision@top 1% (when computed), brier."""
    out = {}
    for m in metrics:
        if m["metric"] in ("roc_auc", "pr_auc", "brier", "rows", "positives"):
            out[m["metric"]] = m["value"]
        elif m["metric"] == "precision_at_top" and m["top_share"] == 0.01:
            out["precision_at_1pct"] = m["value"]
    return out
