"""Canonical creator features: the project (Spark) against an independent DuckDB SQL implementation.

For each size: simulate a landing zone (or reuse one), ingest it into a lakehouse, compute the canonical
columns of CONTRACT.md section 2 for the last `--days-out` days of the simulation with
`features.canonical.build_canonical_features`, and again with plain DuckDB SQL over the live Parquet files of the
same bronze Delta tables; check the two agree row for row, print both times and their ratio, and append a
markdown table to `--report`.

    python benchmarks/features_vs_duckdb.py --sizes 20000 100000 400000 --sim-days 35 --days-out 7
    python benchmarks/features_vs_duckdb.py --lakehouse LH --from A --to B [--repeat 3] [--json-out F]

The second form compares on an existing lakehouse (benchmarks/growth.py calls it on each size's bronze):
`--repeat` runs of each side, alternating (Spark, DuckDB, Spark, ...) so that a slow spell of the machine falls
on both, each run started once the CPUs are quiet (the JVM's JIT compiler keeps working after a Spark run); it
reports each side's median, their ratio and the median of the per-pair ratios.
Times exclude simulation and ingestion; each side reads the bronze tables and materialises its result as
Parquet. Before the first size, Spark computes one day untimed (session start and JIT warm-up). DuckDB loads
every live file of each table (no partition pruning), Spark only the lookback's partitions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = [
    "account_age_days", "posts_1d", "posts_7d", "posts_28d", "views_7d", "likes_7d", "like_rate_7d",
    "engagements_given_1d", "reports_received_7d", "violations_28d", "orders_28d", "refund_rate_28d",
    "distinct_devices_28d", "max_accounts_per_device_28d",
]

DUCKDB_SQL = """
WITH days AS (SELECT unnest($days::DATE[]) AS ds),
acc AS (SELECT account_id, CAST(created_at AS DATE) AS cd FROM accounts),
grid AS (SELECT a.account_id, d.ds, (d.ds - a.cd) AS account_age_days FROM acc a JOIN days d ON a.cd <= d.ds),
posts AS (
  SELECT c.creator_id AS account_id, d.ds,
         count(*) FILTER (WHERE c.cd = d.ds) AS posts_1d,
         count(*) FILTER (WHERE c.cd > d.ds - 7) AS posts_7d,
         count(*) AS posts_28d
  FROM (SELECT creator_id, CAST(created_at AS DATE) AS cd FROM content) c
  JOIN days d ON c.cd BETWEEN d.ds - 27 AND d.ds GROUP BY ALL),
received AS (
  SELECT c.creator_id AS account_id, d.ds,
         count(*) FILTER (WHERE e.action = 'view') AS views_7d,
         count(*) FILTER (WHERE e.action = 'like') AS likes_7d
  FROM (SELECT content_id, action, CAST(ts AS DATE) AS ed FROM engagements) e
  JOIN content c ON c.content_id = e.content_id
  JOIN days d ON e.ed BETWEEN d.ds - 6 AND d.ds GROUP BY ALL),
given AS (
  SELECT actor_id AS account_id, CAST(ts AS DATE) AS ds, count(*) AS engagements_given_1d
  FROM engagements WHERE CAST(ts AS DATE) IN (SELECT ds FROM days) GROUP BY ALL),
rep AS (
  SELECT r.target_id AS account_id, d.ds, count(*) AS reports_received_7d
  FROM reports r JOIN days d ON CAST(r.ts AS DATE) BETWEEN d.ds - 6 AND d.ds GROUP BY ALL),
viol AS (
  SELECT x.target_id AS account_id, d.ds, count(*) AS violations_28d
  FROM decisions x JOIN days d ON CAST(x.ts AS DATE) BETWEEN d.ds - 27 AND d.ds
  WHERE x.outcome = 'violation' GROUP BY ALL),
ord AS (
  SELECT o.seller_id AS account_id, d.ds, count(DISTINCT o.order_id) AS orders_28d,
         count(DISTINCT o.order_id) FILTER (WHERE o.status = 'refunded') AS refunded_28d
  FROM orders o JOIN days d ON CAST(o.created_at AS DATE) BETWEEN d.ds - 27 AND d.ds GROUP BY ALL),
use AS (
  SELECT DISTINCT s.account_id, s.device_id, d.ds
  FROM sessions s JOIN days d ON CAST(s.ts AS DATE) BETWEEN d.ds - 27 AND d.ds),
per_device AS (SELECT device_id, ds, count(*) AS n FROM use GROUP BY ALL),
dev AS (
  SELECT u.account_id, u.ds, count(*) AS distinct_devices_28d, max(p.n) AS max_accounts_per_device_28d
  FROM use u JOIN per_device p USING (device_id, ds) GROUP BY ALL)
SELECT g.account_id, g.ds, g.account_age_days,
       coalesce(posts_1d, 0) AS posts_1d, coalesce(posts_7d, 0) AS posts_7d, coalesce(posts_28d, 0) AS posts_28d,
       coalesce(views_7d, 0) AS views_7d, coalesce(likes_7d, 0) AS likes_7d,
       CASE WHEN coalesce(views_7d, 0) = 0 THEN NULL ELSE likes_7d / views_7d END AS like_rate_7d,
       coalesce(engagements_given_1d, 0) AS engagements_given_1d,
       coalesce(reports_received_7d, 0) AS reports_received_7d, coalesce(violations_28d, 0) AS violations_28d,
       coalesce(orders_28d, 0) AS orders_28d,
       CASE WHEN coalesce(orders_28d, 0) = 0 THEN NULL ELSE refunded_28d / orders_28d END AS refund_rate_28d,
       coalesce(distinct_devices_28d, 0) AS distinct_devices_28d,
       coalesce(max_accounts_per_device_28d, 0) AS max_accounts_per_device_28d
FROM grid g
LEFT JOIN posts USING (account_id, ds) LEFT JOIN received USING (account_id, ds) LEFT JOIN given USING (account_id, ds)
LEFT JOIN rep USING (account_id, ds) LEFT JOIN viol USING (account_id, ds) LEFT JOIN ord USING (account_id, ds)
LEFT JOIN dev USING (account_id, ds)
"""

TABLES = ("accounts", "content", "engagements", "sessions", "orders", "reports", "decisions")


def sh(*args: str) -> None:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    subprocess.run(args, check=True, env=env, cwd=ROOT)


def prepare(work: Path, accounts: int, sim_days: int, seed: int) -> tuple[Path, dict]:
    """A simulated, ingested lakehouse of this size (reused when present)."""
    landing, lakehouse = work / f"landing_{accounts}", work / f"lakehouse_{accounts}"
    govern = str(Path(sys.executable).with_name("govern"))
    if not (lakehouse / "_ready").exists():
        if not (Path(f"{landing}_truth") / "manifest.json").exists():  # else reuse the landing zone
            shutil.rmtree(landing, ignore_errors=True)
            sh(govern, "simulate", "--out", str(landing), "--accounts", str(accounts), "--days", str(sim_days),
               "--seed", str(seed))
        shutil.rmtree(lakehouse, ignore_errors=True)
        sh(govern, "ingest", "--landing", str(landing), "--lakehouse", str(lakehouse))
        (lakehouse / "_ready").write_text("ok")
    manifest = json.loads((Path(f"{landing}_truth") / "manifest.json").read_text())
    return lakehouse, manifest


def live_files(lakehouse: Path, table: str) -> list[str]:
    from deltalake import DeltaTable

    return [u.removeprefix("file://") for u in DeltaTable(str(lakehouse / table)).file_uris()]


def wait_until_quiet(busy_below: float = 0.1, max_wait_s: float = 30.0) -> float:
    """Wait (untimed) until the machine's CPUs are busy less than `busy_below` over a second, or `max_wait_s`
    has passed: the JVM's JIT compiler keeps working after a Spark run ends, and the next run of either side
    should not pay for it. Returns the seconds waited."""
    def cpu_times() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    start = time.perf_counter()
    while time.perf_counter() - start < max_wait_s:
        idle0, total0 = cpu_times()
        time.sleep(1.0)
        idle1, total1 = cpu_times()
        if total1 > total0 and 1 - (idle1 - idle0) / (total1 - total0) < busy_below:
            break
    return time.perf_counter() - start


def run_duckdb(lakehouse: Path, days: list[dt.date], out: Path) -> tuple[float, int]:
    import duckdb

    start = time.perf_counter()
    files = {t: live_files(lakehouse, t) for t in TABLES}  # the Delta log's live files, not the folder
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table, paths in files.items():
        listed = ", ".join(f"'{p}'" for p in paths)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet([{listed}], hive_partitioning = false)")
    day_list = "[" + ", ".join(f"'{d.isoformat()}'" for d in days) + "]"
    con.execute(f"COPY ({DUCKDB_SQL.replace('$days', day_list)}) TO '{out}' (FORMAT parquet)")
    seconds = time.perf_counter() - start
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
    con.close()
    return seconds, rows


def spark_runner(lakehouse: Path, days: list[dt.date], out: Path, warm: bool):
    """A function that computes the canonical features for `days` with Spark and returns its seconds (the session
    started and, with `warm`, one day computed untimed first)."""
    from creator_governance.runtime import get_spark
    from creator_governance.settings import SparkSettings
    from creator_governance.tables import Tables
    from creator_governance.features.canonical import build_canonical_features
    from creator_governance.features.common import LOOKBACK_DAYS, Sources
    from creator_governance.features.windows import lookback_bounds

    spark = get_spark(SparkSettings(shuffle_partitions=8, driver_memory="4g", log_level="ERROR"))
    tables = Tables(spark, str(lakehouse), engine="delta-rs")

    def compute(ds_list, target):
        first, last = lookback_bounds(ds_list, LOOKBACK_DAYS)
        frames = {t: tables.read(t, ds_from=first, ds_to=last)
                  for t in ("engagements", "sessions", "orders", "reports", "decisions")}
        frames["accounts"] = tables.read("accounts", ds_to=last)
        frames["content"] = tables.read("content", ds_to=last)
        build_canonical_features(Sources(**frames), days=ds_list).write.mode("overwrite").parquet(str(target))

    if warm:
        compute(days[:1], out.with_name(out.name + "_warmup"))

    def timed() -> float:
        start = time.perf_counter()
        compute(days, out)
        return time.perf_counter() - start

    return timed


def parquet_rows(spark_out: Path) -> int:
    """Rows Spark wrote."""
    import duckdb

    return duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{spark_out}/*.parquet')").fetchone()[0]


def compare(spark_out: Path, duck_out: Path) -> int:
    """Rows that differ between the two results (rates compared to 1e-9)."""
    import duckdb

    con = duckdb.connect()
    diffs = " OR ".join(
        f"(s.{c} IS DISTINCT FROM d.{c} AND NOT (abs(s.{c} - d.{c}) < 1e-9))" if "rate" in c
        else f"s.{c} IS DISTINCT FROM d.{c}" for c in CANONICAL)
    sql = f"""SELECT count(*) FROM read_parquet('{spark_out}/*.parquet') s
              FULL OUTER JOIN read_parquet('{duck_out}') d ON s.account_id = d.account_id AND s.ds = d.ds
              WHERE s.account_id IS NULL OR d.account_id IS NULL OR {diffs}"""
    return con.execute(sql).fetchone()[0]


def on_lakehouse(args) -> int:
    """Both sides on an existing lakehouse for --from..--to, `--repeat` times each (alternating, Spark first);
    print and write JSON, with the ratio of the medians and the median of the per-pair ratios."""
    lakehouse, work = Path(args.lakehouse), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    first, last = dt.date.fromisoformat(args.ds_from), dt.date.fromisoformat(args.ds_to)
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    spark_out, duck_out = work / "spark_out", work / "duck_out.parquet"
    spark_run = spark_runner(lakehouse, days, spark_out, warm=True)
    spark_all, duck_all = [], []
    for _ in range(args.repeat):  # the sides alternate, so a slow spell of the machine falls on both
        wait_until_quiet()
        spark_all.append(spark_run())
        wait_until_quiet()
        seconds, duck_rows = run_duckdb(lakehouse, days, duck_out)
        duck_all.append(seconds)
    spark_s, spark_rows = statistics.median(spark_all), parquet_rows(spark_out)
    bad = compare(spark_out, duck_out)
    result = {"days": len(days), "from": first.isoformat(), "to": last.isoformat(), "rows": spark_rows,
              "duckdb_rows": duck_rows, "spark_s": spark_s, "duckdb_s": statistics.median(duck_all),
              "spark_all": spark_all, "duckdb_all": duck_all, "mismatches": bad, "repeat": args.repeat}
    result["ratio"] = result["spark_s"] / result["duckdb_s"]
    result["pair_ratio"] = statistics.median(a / b for a, b in zip(spark_all, duck_all))
    print(f"Spark {spark_s:.1f} s (runs {', '.join(f'{t:.1f}' for t in spark_all)}), DuckDB "
          f"{result['duckdb_s']:.1f} s (runs {', '.join(f'{t:.1f}' for t in duck_all)}), ratio "
          f"{result['ratio']:.2f} (median of the pairs' ratios {result['pair_ratio']:.2f}); rows {spark_rows:,} vs "
          f"{duck_rows:,}; mismatching rows: {bad}", flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result))
    sys.stdout.flush()
    os._exit(0 if bad == 0 and spark_rows == duck_rows else 1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[20000, 100000, 400000])
    p.add_argument("--sim-days", type=int, default=35)
    p.add_argument("--days-out", type=int, default=7, help="feature days computed (the simulation's last ones)")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--work", default="/tmp/features_bench")
    p.add_argument("--report", default=str(ROOT / "benchmarks" / "features_vs_duckdb.md"))
    p.add_argument("--lakehouse", help="compare on this ingested lakehouse instead of simulating")
    p.add_argument("--from", dest="ds_from", help="with --lakehouse: first feature day")
    p.add_argument("--to", dest="ds_to", help="with --lakehouse: last feature day")
    p.add_argument("--repeat", type=int, default=1, help="with --lakehouse: runs of each side (median reported)")
    p.add_argument("--json-out", help="with --lakehouse: write the result as JSON here")
    args = p.parse_args(argv)
    if args.lakehouse:
        return on_lakehouse(args)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    lines = ["| accounts | engagements | days | rows | Spark s | DuckDB s | Spark / DuckDB | mismatches |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for i, size in enumerate(args.sizes):
        lakehouse, manifest = prepare(work, size, args.sim_days, args.seed)
        start = dt.date.fromisoformat(str(manifest["start"]))
        last = start + dt.timedelta(days=int(manifest["days"]) - 1)
        days = [last - dt.timedelta(days=k) for k in range(args.days_out - 1, -1, -1)]
        spark_out, duck_out = work / f"spark_{size}", work / f"duck_{size}.parquet"
        spark_run = spark_runner(lakehouse, days, spark_out, warm=(i == 0))
        spark_s, spark_rows = spark_run(), parquet_rows(spark_out)
        duck_s, duck_rows = run_duckdb(lakehouse, days, duck_out)
        bad = compare(spark_out, duck_out)
        engagements = manifest["rows"].get("engagements", 0)
        line = (f"| {size:,} | {engagements:,} | {len(days)} | {spark_rows:,} | {spark_s:.1f} | {duck_s:.1f} | "
                f"{spark_s / duck_s:.2f} | {bad} |")
        print(line, flush=True)
        lines.append(line)
        Path(args.report).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    sys.stdout.flush()
    os._exit(0)  # deltalake's runtime can abort the interpreter at exit


if __name__ == "__main__":
    main()
