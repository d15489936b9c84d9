"""`govern simulate`: write a synthetic landing zone with planted abuse and incidents, and its ground truth."""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession

from creator_governance.jobargs import UsageError, config_of, job_parser, parse_date
from creator_governance.logs import setup_logging
from creator_governance.runtime import QUICK_JIT_OPTIONS, get_spark
from creator_governance.settings import Config
from creator_governance.simulator import simulate


def parser():
    parser = job_parser("govern simulate", "Write a synthetic landing zone (CONTRACT.md section 1) with planted "
                        "abuse and incidents, and its ground truth in <out>_truth.", dates=False, lakehouse=False)
    parser.add_argument("--out", required=True, help="landing-zone folder to write (replaced if a previous "
                        "simulation; refused if another non-empty folder)")
    parser.add_argument("--accounts", type=int, help="number of accounts (default simulator.accounts)")
    parser.add_argument("--days", type=int, help="number of days (default simulator.days)")
    parser.add_argument("--start", help="first day, YYYY-MM-DD (default simulator.start)")
    parser.add_argument("--seed", type=int, help="random seed: same seed, same files (default simulator.seed)")
    return parser


def parse_args(argv: list[str] | None):
    args = parser().parse_args(argv)
    if args.start is not None:
        parse_date(args.start, "--start")
    for option in ("accounts", "days"):
        value = getattr(args, option)
        if value is not None and value < 1:
            raise UsageError(f"--{option} {value}: must be positive")
    return args


def config_for(args: argparse.Namespace) -> Config:
    """The config with the command-line sizes applied on top of the layers and --conf."""
    flags = {k: getattr(args, k) for k in ("accounts", "days", "start", "seed") if getattr(args, k) is not None}
    return config_of(args, {"simulator": flags} if flags else None)


def run(spark: SparkSession, cfg: Config, out: str) -> dict:
    """Simulate into `out`; return the manifest (row counts per entity, where the truth is)."""
    return simulate(spark, cfg.simulator, out)


def summary_lines(manifest: dict) -> list[str]:
    lines = [f"simulated {manifest['accounts']} accounts x {manifest['days']} days from {manifest['start']} "
             f"(seed {manifest['seed']}) in {manifest['seconds']} s"]
    for entity, rows in manifest["rows"].items():
        files = manifest["files"][entity]
        bad = sum(f["bad_rows"] for f in files.values())
        lines.append(f"  {entity:<12} {rows:>12,} rows  ({', '.join(sorted(files))})"
                     + (f"  {bad:,} contract-breaking" if bad else ""))
    lines.append(f"landing zone: {manifest['landing']}")
    lines.append(f"ground truth: {manifest['truth']} (bad_accounts.parquet/.csv, incidents.json, manifest.json)")
    return lines


# Below this many (account, day) cells a simulation is dominated by compiling Spark's generated code, not by
# running it: a session started here for it skips the JVM's optimising C2 compiler (measured at 2,000 x 21:
# JIT threads 43 s -> 4 s of CPU, the JVM's total 68 s -> 46 s), which only pays off on long-running tasks.
QUICK_JIT_CELLS = 5_000_000
# Also for the rest of `govern demo`, which runs in this session: C1 compiles the generated methods over the JVM's
# 8,000-byte limit too (-XX:-DontCompileHugeMethods), instead of interpreting them. Whole demos in alternation:
# 181.9 and 182.2 s without, 177.7 and 170.7 s with (docs/performance.md).
QUICK_JIT = {"spark.driver.defaultJavaOptions": f"{QUICK_JIT_OPTIONS} -XX:-DontCompileHugeMethods"}


def session_config(cfg: Config) -> Config:
    """The config whose Spark settings start the session: the quick JIT for a small simulation."""
    s = cfg.simulator
    if s.accounts * s.days > QUICK_JIT_CELLS or any(k in cfg.spark.conf for k in QUICK_JIT):
        return cfg
    return cfg.model_copy(update={"spark": cfg.spark.model_copy(update={"conf": {**QUICK_JIT, **cfg.spark.conf}})})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging(args.verbose, args.log_format)
    cfg = config_for(args)
    manifest = run(get_spark(session_config(cfg).spark), cfg, args.out)
    print("\n".join(summary_lines(manifest)))
    return 0
