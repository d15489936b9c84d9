"""Benchmarks of the violation model, anomaly scores and syndicates (numbers recorded in docs/models.md).

    python benchmarks/models_bench.py compare    --lakehouse LH --ds D [--conf FILE]   # distributed vs single-node
    python benchmarks/models_bench.py anomaly    --lakehouse LH --ds D --truth DIR_truth
    python benchmarks/models_bench.py syndicates --lakehouse LH --ds D --truth DIR_truth
    python benchmarks/models_bench.py throughput --rows 1000000 [--model-dir LH/_models/V]

Each prints one JSON line per result (and appends it to --out, default benchmarks/models_results.jsonl).
Collecting the training rows to pandas for the single-node comparison is a benchmark-only shortcut.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time

import numpy as np

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def emit(out: str, record: dict) -> None:
    line = json.dumps(record, default=str)
    print(line, flush=True)
    with open(out, "a") as fh:
        fh.write(line + "\n")


def context(args):
    from creator_governance.jobargs import config_of
    from creator_governance.runtime import open_context

    ns = argparse.Namespace(conf=args.conf, env=None, lakehouse=args.lakehouse)
    return open_context(config_of(ns))


def sklearn_metrics(y, p, share=0.01) -> dict:
    from sklearn.metrics import average_precision_score, roc_auc_score

    k = max(1, int(round(len(p) * share)))
    top = np.argsort(-p, kind="stable")[:k]
    return {"roc_auc": roc_auc_score(y, p), "average_precision": average_precision_score(y, p),
            "precision_at_1pct": float(np.mean(y[top]))}


def compare(args) -> None:
    """Distributed xgboost.spark vs single-node xgboost on the same training/validation rows."""
    from pyspark.sql import functions as F

    from creator_governance.jobs.train import training_rows, window_of
    from creator_governance.models.scoring.score import predict_scores, trimmed_booster
    from creator_governance.models.training.evaluate import evaluate, headline
    from creator_governance.models.training.xgb import (
        auto_scale_pos_weight, booster_params, make_local_classifier, make_spark_classifier, margin_offset,
    )

    ctx = context(args)
    settings = ctx.cfg.model
    as_of, first, last = window_of(argparse.Namespace(ds=args.ds, ds_from=None, ds_to=None), settings)
    rows, columns, valid_from = training_rows(ctx, settings, as_of, first, last)
    rows = rows.persist()
    n = rows.count()
    spw = auto_scale_pos_weight(rows.filter(~F.col("is_validation")), cap=settings.training.max_scale_pos_weight)
    params = booster_params(settings.training, spw)
    offset = margin_offset(spw)

    t0 = time.monotonic()
    dist = make_spark_classifier(columns, params, num_workers=settings.training.num_workers).fit(rows)
    dist_seconds = time.monotonic() - t0
    dist_booster = trimmed_booster(dist.get_booster())

    pdf = rows.toPandas()
    train, valid = pdf[~pdf["is_validation"]], pdf[pdf["is_validation"]]
    local = make_local_classifier(params, n_jobs=1)
    t0 = time.monotonic()
    local.fit(train[columns].astype("float32"), train["label"], sample_weight=train["weight"],
              eval_set=[(valid[columns].astype("float32"), valid["label"])],
              sample_weight_eval_set=[valid["weight"]], verbose=False)
    local_seconds = time.monotonic() - t0
    local_booster = trimmed_booster(local.get_booster())

    validation = rows.filter(F.col("is_validation"))
    results = {}
    for name, booster, seconds in (("distributed", dist_booster, dist_seconds), ("single_node", local_booster,
                                                                                 local_seconds)):
        raw = bytes(booster.save_raw("json"))
        scored = predict_scores(validation, booster_raw=raw, feature_columns=columns, keep_columns=["label"],
                                margin_offset=offset, model_version=name)
        metrics = headline(evaluate(scored, top_shares=(0.01,), thresholds=(0.5,), bins=10))
        local_scores = scored.toPandas()
        sk = sklearn_metrics(local_scores["label"].to_numpy(), local_scores["score"].to_numpy())
        results[name] = {"seconds": round(seconds, 1), "trees": booster.num_boosted_rounds(), **metrics,
                         **{f"sklearn_{k}": v for k, v in sk.items()}}
    emit(args.out, {"bench": "compare", "ds": args.ds, "rows": n, "train_rows": len(train),
                    "validation_rows": len(valid), "validation_positives": int(valid["label"].sum()),
                    "features": len(columns), "train_from": first, "train_to": last, "valid_from": valid_from,
                    "scale_pos_weight": spw, "num_workers": settings.training.num_workers, **results,
                    "delta_pr_auc": abs(results["distributed"]["pr_auc"] - results["single_node"]["pr_auc"]),
                    "delta_precision_at_1pct": abs(results["distributed"]["precision_at_1pct"]
                                                   - results["single_node"]["precision_at_1pct"])})
    rows.unpersist()


def truth_frame(spark, truth: str):
    path = os.path.join(truth, "bad_accounts")
    return spark.read.parquet(path if os.path.exists(path) else path + ".parquet")


def anomaly(args) -> None:
    """Isolation forest vs peer deviation: how well each ranks the planted bad accounts of one day."""
    from pyspark.sql import functions as F

    from creator_governance.jobs.score import behaviour_columns
    from creator_governance.models.anomaly.isolation import bounded_sample, fit_isolation_forest, isolation_scores
    from creator_governance.models.anomaly.peer import peer_deviation_scores
    from creator_governance.models.training.xgb import numeric_feature_columns

    ctx = context(args)
    a = ctx.cfg.model.anomaly
    features = ctx.tables.read("creator_features", ds=[dt.date.fromisoformat(args.ds)]).persist()
    columns = behaviour_columns(features, numeric_feature_columns(features.schema))
    bad = truth_frame(ctx.spark, args.truth).select("account_id", F.lit(1).alias("bad"))
    for method in ("isolation_forest", "peer_deviation"):
        t0 = time.monotonic()
        if method == "isolation_forest":
            sample = bounded_sample(features.select(*columns), rows=a.sample_rows, seed=a.seed).toPandas()
            forest = fit_isolation_forest(sample, columns=columns, n_trees=a.n_trees, max_samples=a.max_samples,
                                          seed=a.seed)
            scores = isolation_scores(features, forest=forest, columns=columns)
        else:
            scores = peer_deviation_scores(features, columns=columns, peer_columns=a.peer_columns,
                                           sample_rows=a.peer_sample_rows, seed=a.seed)
        pdf = (scores.join(bad, on="account_id", how="left").fillna(0, subset=["bad"])
               .select("bad", "anomaly_score").toPandas())
        seconds = time.monotonic() - t0
        m = sklearn_metrics(pdf["bad"].to_numpy(), pdf["anomaly_score"].to_numpy())
        emit(args.out, {"bench": "anomaly", "method": method, "ds": args.ds, "accounts": len(pdf),
                        "bad_share": float(pdf["bad"].mean()), "seconds": round(seconds, 1), **m})


def syndicates(args) -> None:
    """Recovery of planted groups (matrix, farm_ring, fake_seller) by the syndicates of one day.

    The syndicates are recomputed with the current models/syndicates code from the day's creator_features and
    the scores already in creator_scores (score, anomaly_score), as jobs/score.py composes them; with
    --from-table the `syndicates` table the pipeline wrote is read instead."""
    from pyspark.sql import functions as F

    from creator_governance.contract import ENTITIES
    from creator_governance.jobs.model_store import load_approved
    from creator_governance.jobs.score import behaviour_columns
    from creator_governance.models.scoring.score import plain_words
    from creator_governance.models.anomaly.isolation import bounded_sample
    from creator_governance.models.syndicates.discover import (
        assign_syndicates, behaviour_clusters, describe_syndicates, linked_groups, order_links,
    )
    from creator_governance.models.training.xgb import numeric_feature_columns

    ctx = context(args)
    ds = dt.date.fromisoformat(args.ds)
    t0 = time.monotonic()
    if args.from_table:
        synd = ctx.tables.read("syndicates", ds=[ds])
    else:
        s = ctx.cfg.model.syndicates
        features = ctx.tables.read("creator_features", ds=[ds]).persist()
        if ctx.tables.exists("creator_scores") and ctx.tables.exists("model_registry"):
            _, meta = load_approved(ctx)
            model_features = meta["features"]
            scored = ctx.tables.read("creator_scores", ds=[ds]).select("account_id", "ds", "score", "anomaly_score")
        else:
            # No model yet: every numeric feature, and score 0 for all, so only coordination reports a group.
            model_features = numeric_feature_columns(features.schema)
            scored = features.select("account_id", "ds", F.lit(0.0).alias("score"),
                                     F.lit(None).cast("double").alias("anomaly_score"))
        columns = behaviour_columns(features, model_features)
        extra = None
        if s.order_link_min_orders and ctx.tables.exists("orders"):
            orders = ctx.tables.read_or_empty("orders", ENTITIES["orders"].bronze_schema(),
                                              ds_from=ds - dt.timedelta(days=s.order_link_days), ds_to=ds)
            extra = order_links(orders, days=[ds], lookback_days=s.order_link_days,
                                    min_orders=s.order_link_min_orders)
        groups = linked_groups(features, extra_links=extra)
        sample = bounded_sample(features.select(*columns), rows=s.sample_rows, seed=s.seed)
        clusters = behaviour_clusters(features, sample, columns=columns, k=s.behaviour_clusters, seed=s.seed)
        members = assign_syndicates(groups, clusters, min_size=s.min_size, min_member_share=s.min_member_share)
        _, synd = describe_syndicates(members, features, scored, signal_columns=columns, plain_words=plain_words(),
                                      min_size=s.min_size, enforce_min_score=s.enforce_min_score,
                                      review_min_score=s.review_min_score)
    members = synd.select("syndicate_id", "size", "members", "mean_score", "suggested_action").toPandas()
    seconds = time.monotonic() - t0
    truth = truth_frame(ctx.spark, args.truth).toPandas()
    truth = truth[truth["group_id"].notna()]
    exploded = members.explode("members").rename(columns={"members": "account_id"})
    joined = exploded.merge(truth[["account_id", "pattern", "group_id"]], on="account_id", how="left")
    bad_share = joined.groupby("syndicate_id")["pattern"].apply(lambda s: s.notna().mean())
    scored_by = "table" if args.from_table else ("model" if ctx.tables.exists("creator_scores") else "none (score 0)")
    out = {"bench": "syndicates", "ds": args.ds, "source": "table" if args.from_table else "recomputed",
           "scores": scored_by,
           "lakehouse": args.lakehouse, "syndicates": int(len(members)), "seconds": round(seconds, 1),
           "members": int(len(exploded)),
           "purity_bad_members": float(joined["pattern"].notna().mean()) if len(joined) else None,
           "syndicates_majority_bad": float((bad_share > 0.5).mean()) if len(bad_share) else None}
    live = set(ctx.tables.read("creator_features", ds=[ds]).select("account_id").toPandas()["account_id"])
    for pattern in ("matrix", "farm_ring", "fake_seller"):
        # A fake-seller ring is the seller and its buyers (pattern fake_buyer, same group_id).
        patterns = ("fake_seller", "fake_buyer") if pattern == "fake_seller" else (pattern,)
        ring = truth[truth["pattern"].isin(patterns) & truth["account_id"].isin(live)]
        groups = ring.groupby("group_id")["account_id"]
        recovered, purities = 0, []
        for gid, accounts in groups:
            accounts = set(accounts)
            hits = joined[joined["account_id"].isin(accounts)].groupby("syndicate_id").size()
            if hits.empty:
                continue
            best = hits.idxmax()
            size = int(members.loc[members["syndicate_id"] == best, "size"].iloc[0])
            purity = hits.max() / size
            if hits.max() >= 0.5 * len(accounts) and purity >= 0.5:
                recovered += 1
                purities.append(purity)
        total = groups.ngroups
        out[pattern] = {"groups": int(total), "recovered": recovered,
                        "share_recovered": recovered / total if total else None,
                        "mean_purity_recovered": float(np.mean(purities)) if purities else None}
    emit(args.out, out)


def throughput(args) -> None:
    """Scoring accounts/min on a synthetic feature frame of --rows accounts (the model's feature columns)."""
    import xgboost as xgb
    from pyspark.sql import functions as F

    from creator_governance.runtime import get_spark
    from creator_governance.settings import SparkSettings
    from creator_governance.models.scoring.score import plain_words, score_accounts

    spark = get_spark(SparkSettings())
    if args.model_dir:
        raw = open(os.path.join(args.model_dir, "model.json"), "rb").read()
        meta = json.load(open(os.path.join(args.model_dir, "metadata.json")))
        columns, offset = meta["features"], meta.get("margin_offset", 0.0)
    else:
        columns = [f"f{i:02d}" for i in range(80)]
        rng = np.random.default_rng(0)
        x = rng.poisson(2.0, (20000, len(columns))).astype("float32")
        y = (x[:, :5].sum(axis=1) + rng.normal(0, 2, 20000) > 14).astype(int)
        booster = xgb.train({"max_depth": 6, "eta": 0.1, "objective": "binary:logistic", "nthread": 1},
                            xgb.DMatrix(x, label=y), num_boost_round=200)
        raw, offset = bytes(booster.save_raw("json")), 0.0
    cols = [F.when(F.rand(seed=i) < 0.3, F.lit(0.0)).otherwise(F.floor(-F.log(F.rand(seed=1000 + i)) * 3.0))
            .alias(c) for i, c in enumerate(columns)]
    frame = (spark.range(args.rows, numPartitions=args.partitions)
             .select(F.format_string("acct%09d", "id").alias("account_id"), F.lit(dt.date(2026, 2, 1)).alias("ds"),
                     *cols))
    frame = frame.persist()
    frame.count()
    scored = score_accounts(frame, booster_raw=raw, feature_columns=columns, model_version="bench",
                            plain_words=plain_words(), tiers={"medium": 0.2, "high": 0.5, "critical": 0.8},
                            reason_count=3, exact_min_score=args.exact_min_score, margin_offset=offset)
    t0 = time.monotonic()
    scored.write.format("noop").mode("overwrite").save()
    seconds = time.monotonic() - t0
    high = scored.filter(F.col("score") >= args.exact_min_score).count()
    emit(args.out, {"bench": "throughput", "rows": args.rows, "features": len(columns), "seconds": round(seconds, 1),
                    "accounts_per_min": round(args.rows / seconds * 60), "exact_min_score": args.exact_min_score,
                    "exact_rows": high, "model": args.model_dir or "synthetic 200 trees depth 6",
                    "cores": spark.sparkContext.defaultParallelism})
    frame.unpersist()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["compare", "anomaly", "syndicates", "throughput"])
    parser.add_argument("--lakehouse")
    parser.add_argument("--conf")
    parser.add_argument("--ds")
    parser.add_argument("--truth")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--model-dir")
    parser.add_argument("--from-table", action="store_true", help="syndicates: read the syndicates table")
    parser.add_argument("--exact-min-score", type=float, default=0.5)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "models_results.jsonl"))
    args = parser.parse_args(argv)
    {"compare": compare, "anomaly": anomaly, "syndicates": syndicates, "throughput": throughput}[args.what](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
