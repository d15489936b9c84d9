"""`govern experiment --experiment E --from A --to B`: analyse an A/B test (per metric and variant: lifts with
intervals, corrected p-values, CUPED, SRM, guardrails) or, with `--did`, a launch without randomisation
(difference-in-differences against untreated slices, with a pre-trend check).

Reads the bronze `assignments` table (unit_id, experiment, variant, assigned_at, ds) and the bronze/strategy
tables each metric needs; writes `experiment_results` (the experiment+window's rows are replaced) and
`<tables.files>/_reports/experiment_<E>_<from>_<to>.md`. See docs/experiments.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os

import pandas as pd
from pyspark.sql import functions as F

from creator_governance.catalog import schema
from creator_governance.jobargs import UsageError, config_of, days_of, job_parser, parse_date
from creator_governance.logs import setup_logging
from creator_governance.models.experiments.analysis import RESULT_COLUMNS, MetricSpec, analyse_ab, verdict
from creator_governance.models.experiments.did import build_slice_panel, did_estimate, select_controls
from creator_governance.models.experiments.report import experiment_report
from creator_governance.models.experiments.stats import adjust_pvalues, guardrail_status, srm_test
from creator_governance.models.experiments.units import (
    METRIC_TABLES, available_metrics, bucket_sums, build_assigned_units, build_metric_events, build_unit_metrics,
    variant_sums,
)
from creator_governance.runtime import JobContext, open_context

log = logging.getLogger("jobs.experiment")

RESULTS_SCHEMA = schema("experiment_results")


def parser():
    parser = job_parser("govern experiment", "Analyse an A/B test (assignments table) or, with --did, a launch "
                        "without randomisation, over --from..--to; write experiment_results and a report.")
    parser.add_argument("--experiment", required=True, help="experiment name (assignments.experiment, or a label "
                        "for a --did launch)")
    parser.add_argument("--pre-days", dest="pre_days", type=int, help="pre-period days for CUPED (default: config)")
    parser.add_argument("--method", choices=["welch", "bootstrap"], help="interval method (default: config)")
    parser.add_argument("--did", action="store_true", help="difference-in-differences instead of an A/B analysis")
    parser.add_argument("--treated-dimension", dest="treated_dimension", default="country",
                        help="accounts column defining slices (--did)")
    parser.add_argument("--treated-value", dest="treated_value", action="append",
                        help="treated slice value (--did; repeatable)")
    parser.add_argument("--launch-date", dest="launch_date", help="first treated day, YYYY-MM-DD (--did)")
    return parser


def parse_args(argv: list[str] | None):
    args = parser().parse_args(argv)
    if args.did and not (args.treated_value and args.launch_date):
        raise UsageError("--did needs --treated-value and --launch-date")
    if args.pre_days is not None and args.pre_days < 0:
        raise UsageError("--pre-days must be >= 0")
    return args


def _sources(ctx: JobContext, tables: set[str], lo: dt.date, hi: dt.date) -> dict:
    return {t: ctx.tables.read(t, ds_from=lo, ds_to=hi) for t in sorted(tables) if ctx.tables.exists(t)}


def run(ctx: JobContext, *, experiment: str, ds_from: dt.date, ds_to: dt.date, pre_days: int | None = None,
        method: str | None = None, did: dict | None = None, run_at: dt.datetime | None = None) -> dict:
    """Analyse, write experiment_results and the report; returns rows, verdict, report text and path."""
    s = ctx.cfg.experiments
    pre_days = s.pre_days if pre_days is None else pre_days
    method = method or s.method
    specs = {m.name: MetricSpec(m.name, m.direction, m.guardrail, m.max_degradation) for m in s.metrics}
    needed = {t for m in specs for t in METRIC_TABLES[m]}
    existing = {t for t in needed if ctx.tables.exists(t)}
    metrics = available_metrics(list(specs), existing)
    skipped = [m for m in specs if m not in metrics]
    if not metrics:
        raise UsageError(f"no metric can be computed: none of the tables {sorted(needed)} exist")
    notes = [f"skipped (source table missing): {', '.join(skipped)}"] if skipped else []
    if did:
        results, header = _did(ctx, s, specs, metrics, experiment, ds_from, ds_to, did, notes)
    else:
        results, header = _ab(ctx, s, specs, metrics, experiment, ds_from, ds_to, pre_days, method, notes)
    line = verdict(results, s.alpha)
    if did and results["pretrend_flag"].fillna(False).any():
        line = "PRE-TREND: treated and controls diverged before the launch, the DiD is suspect; " + line
    write_results(ctx, results, experiment=experiment, ds_from=ds_from, ds_to=ds_to,
                  run_at=run_at or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0))
    report = experiment_report(results, header={"experiment": experiment, **header}, verdict=line, notes=notes,
                               alpha=s.alpha)
    folder = ctx.tables.folder("_reports")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"experiment_{experiment}_{ds_from}_{ds_to}.md")
    with open(path, "w") as fh:
        fh.write(report + "\n")
    return {"rows": len(results), "verdict": line, "report": report, "path": path, "results": results}


def _ab(ctx, s, specs, metrics, experiment, ds_from, ds_to, pre_days, method, notes):
    if not ctx.tables.exists("assignments"):
        raise UsageError("table 'assignments' does not exist: ingest the assignments entity first (or use --did)")
    assigned = build_assigned_units(ctx.tables.read("assignments", ds_to=ds_to), experiment=experiment,
                                    ds_to=ds_to).cache()
    counts = {(r["variant"], r["mixed"]): r["n"] for r in assigned.groupBy(
        "variant", (F.col("n_variants") > 1).alias("mixed")).agg(F.count(F.lit(1)).alias("n")).collect()}
    clean = {v: n for (v, mixed), n in counts.items() if not mixed}
    mixed = sum(n for (_, m), n in counts.items() if m)
    if not clean:
        raise UsageError(f"experiment '{experiment}': no unit assigned by {ds_to}")
    if s.control_variant not in clean:
        raise UsageError(f"experiment '{experiment}': no unit in control variant '{s.control_variant}' "
                         f"(variants: {', '.join(sorted(clean))})")
    if mixed:
        notes.append(f"{mixed} unit(s) seen in more than one variant were left out")
    srm = srm_test(clean, s.srm.expected_split.get(experiment), threshold=s.srm.threshold)
    units = assigned.filter(F.col("n_variants") == 1)
    lo = ds_from - dt.timedelta(days=pre_days + s.fp_days_before)
    events = build_metric_events(_sources(ctx, {t for m in metrics for t in METRIC_TABLES[m]}, lo,
                                          ds_to + dt.timedelta(days=s.fp_days_after)),
                                 fp_days_before=s.fp_days_before, fp_days_after=s.fp_days_after)
    per_unit = build_unit_metrics(units, events, metrics, ds_from=ds_from, ds_to=ds_to, pre_days=pre_days,
                                  retention_days=s.retention_days).cache()
    sums = variant_sums(per_unit, metrics).toPandas()
    buckets = None
    if method == "bootstrap":
        n_buckets = max(2, min(s.bootstrap.buckets, min(clean.values())))
        buckets = bucket_sums(per_unit, metrics, buckets=n_buckets, seed=s.bootstrap.seed).toPandas()
    results = analyse_ab(sums, [specs[m] for m in metrics], control=s.control_variant, srm=srm, alpha=s.alpha,
                         method=method, correction=s.correction, cuped=s.cuped and pre_days > 0, buckets=buckets,
                         resamples=s.bootstrap.resamples, seed=s.bootstrap.seed)
    per_unit.unpersist()
    assigned.unpersist()
    results["pretrend_p"], results["pretrend_flag"] = float("nan"), None
    split = ", ".join(f"{v} {n}" for v, n in sorted(clean.items()))
    header = {"analysis": "A/B test", "window": f"{ds_from} .. {ds_to}",
              "pre-period": f"{pre_days} days" if pre_days else "none (CUPED off)",
              "method": method, "correction": s.correction, "alpha": s.alpha,
              "units assigned": split, "sample ratio": f"chi-square p = {srm.p_value:.3g}"
              + (" — MISMATCH" if srm.flagged else " (ok)")}
    return results, header


def _did(ctx, s, specs, metrics, experiment, ds_from, ds_to, did, notes):
    launch, dimension, treated = did["launch_date"], did["dimension"], list(did["values"])
    if not ds_from < launch <= ds_to:
        raise UsageError(f"--launch-date {launch} must be after --from {ds_from} and not after --to {ds_to}")
    if not ctx.tables.exists("accounts"):
        raise UsageError("table 'accounts' does not exist: DiD slices accounts by --treated-dimension")
    accounts = ctx.tables.read("accounts")
    if dimension not in accounts.columns:
        raise UsageError(f"--treated-dimension {dimension}: not a column of accounts")
    did_metrics = [m for m in metrics if m != "false_positives"]
    events = build_metric_events(_sources(ctx, {t for m in did_metrics for t in METRIC_TABLES[m]}, ds_from, ds_to))
    panel = build_slice_panel(accounts, events, did_metrics, dimension=dimension, ds_from=ds_from,
                              ds_to=ds_to).toPandas()
    size = panel.groupby("slice")["accounts"].min()
    eligible = [c for c in size.index if c in treated or size[c] >= s.did.min_slice_accounts]
    rows = []
    for m in did_metrics:
        part = panel[(panel["metric"] == m) & panel["slice"].isin(eligible)]
        wide = part.pivot_table(index="ds", columns="slice", values="value")
        controls = select_controls(wide, treated, launch, s.did.max_controls)
        r = did_estimate(part, treated=treated, launch=launch, controls=controls, alpha=s.alpha,
                         min_slices=s.did.bootstrap_min_slices, resamples=s.did.resamples, seed=s.did.seed,
                         pretrend_alpha=s.did.pretrend_alpha)
        spec = specs[m]
        status = guardrail_status(r.rel_lift, r.rel_lo, r.rel_hi, direction=spec.direction,
                                  max_degradation=spec.max_degradation) if spec.guardrail else None
        rows.append({"metric": m, "variant": ",".join(treated), "units": int(size[[t for t in treated if t in size]]
                                                                             .sum()),
                     "mean": r.treated_post_mean, "control_mean": r.counterfactual_mean, "abs_lift": r.estimate,
                     "abs_lift_lo": r.lo, "abs_lift_hi": r.hi, "rel_lift": r.rel_lift, "rel_lift_lo": r.rel_lo,
                     "rel_lift_hi": r.rel_hi, "p_value": r.p_value, "cuped": False,
                     "variance_reduction": float("nan"), "srm_p": float("nan"), "srm_flag": None,
                     "guardrail_status": status, "method": f"did-{r.inference}", "pretrend_p": r.pretrend_p,
                     "pretrend_flag": r.pretrend_flag, "controls": len(controls), "adjusted_mean": float("nan"),
                     "adjusted_control_mean": float("nan"), "detectable_rel_lift": float("nan")})
    results = pd.DataFrame(rows)
    results["p_adjusted"] = adjust_pvalues(results["p_value"].to_numpy(float), s.correction)
    results["srm_flag"] = False
    header = {"analysis": "difference-in-differences (no randomisation)", "window": f"{ds_from} .. {ds_to}",
              "launch": str(launch), "treated": f"{dimension} = {', '.join(treated)}",
              "controls": f"{int(results['controls'].max())} untreated {dimension} slices (per metric, at most)",
              "correction": s.correction, "alpha": s.alpha}
    return results[[*RESULT_COLUMNS, "pretrend_p", "pretrend_flag"]], header


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def write_results(ctx: JobContext, results: pd.DataFrame, *, experiment: str, ds_from: dt.date, ds_to: dt.date,
                  run_at: dt.datetime) -> None:
    """Replace this experiment+window's rows of experiment_results (the table is small: one row per metric,
    variant and analysed window, so it is rewritten whole)."""
    analysis = "did" if results["method"].astype(str).str.startswith("did").any() else "ab"
    fixed = {"experiment": experiment, "analysis_ds_from": ds_from, "ds_to": ds_to, "analysis": analysis,
             "run_at": run_at}
    new = [tuple(_clean(fixed[f.name] if f.name in fixed else r.get(f.name)) for f in RESULTS_SCHEMA.fields)
           for r in results.to_dict("records")]
    kept = []
    if ctx.tables.exists("experiment_results"):
        mine = (F.col("experiment") == experiment) & (F.col("analysis_ds_from") == F.lit(ds_from)) \
            & (F.col("ds_to") == F.lit(ds_to))
        old = ctx.tables.read("experiment_results")
        columns = [F.col(f.name) if f.name in old.columns else F.lit(None).cast(f.dataType).alias(f.name)
                   for f in RESULTS_SCHEMA.fields]  # rows written before a column existed read it as null
        kept = [tuple(r) for r in old.filter(~mine).select(*columns).collect()]
    frame = ctx.spark.createDataFrame(kept + new, RESULTS_SCHEMA)
    ctx.tables.overwrite("experiment_results", frame, job="experiment")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    days = days_of(args)
    if len(days) < 2 and not args.did:
        log.info("a one-day window: intervals will be wide")
    did = None
    if args.did:
        did = {"dimension": args.treated_dimension, "values": args.treated_value,
               "launch_date": parse_date(args.launch_date, "--launch-date")}
    out = run(open_context(config_of(args)), experiment=args.experiment, ds_from=days[0], ds_to=days[-1],
              pre_days=args.pre_days, method=args.method, did=did)
    print(out["report"])
    print(f"experiment {args.experiment}: {out['rows']} rows in experiment_results; report: {out['path']}")
    return 0
