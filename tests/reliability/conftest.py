"""Fixtures of the fault-injection tests: a landing zone, one clean pipeline run in a child, killed children.

The clean run executes ingest, features (history), train, features (last day), score, strategies and metrics
in one child process (tests/reliability/jobrunner.py) and copies the lakehouse before every step, so each
job's starting state and its clean result are folders on disk that a killed run can start from and be
compared with. The landing zone is written in plain Python (the simulator alone takes minutes on this box).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

RUNNER = Path(__file__).with_name("jobrunner.py")
D0 = dt.date(2026, 1, 1)
DAYS = 6
# A model small enough to train in seconds on a few hundred accounts (cf. tests/models/test_jobs.py).
OVERLAY = {
    "spark": {"shuffle_partitions": 2},
    "model": {
        "labels": {"horizon_days": 1, "stride_days": 1, "unreviewed_weight": 0.2},
        "training": {"window_days": 4, "validation_days": 1, "n_estimators": 15, "num_workers": 1,
                     "early_stopping_rounds": 5, "max_depth": 3},
        "anomaly": {"sample_rows": 100, "n_trees": 20, "max_samples": 32},
        "syndicates": {"behaviour_clusters": 3, "sample_rows": 100},
    },
}


def child_env() -> dict:
    return {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}


# ---- a small landing zone in plain Python -------------------------------------------------------------------
def _ts(day: dt.date, seconds: int) -> str:
    return (dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=int(seconds))).isoformat() + "Z"


def write_small_landing(root: Path, *, accounts: int = 200, days: int = DAYS, seed: int = 5) -> Path:
    """Every entity in the three formats over `days` days; every 10th account is abusive (bursts of posts,
    reports, shared devices, violations), so features vary and a model has labels to learn."""
    rng = np.random.default_rng(seed)
    ids = [f"u{i:04d}" for i in range(accounts)]
    bad = {a for i, a in enumerate(ids) if i % 10 == 0}
    start = dt.datetime.combine(D0, dt.time())
    dates = [D0 + dt.timedelta(days=d) for d in range(days)]
    root.mkdir(parents=True)
    (root / "accounts").mkdir()
    pq.write_table(pa.table({
        "account_id": ids,
        "created_at": pa.array([start - dt.timedelta(days=int(rng.integers(1, 400))) for _ in ids], pa.timestamp("us")),
        "country": [["FR", "US", "BR", "ID"][i % 4] for i in range(accounts)],
        "is_seller": [i % 7 == 0 for i in range(accounts)],
    }), root / "accounts" / "accounts.parquet")
    sessions, content, engagements, orders, reports, decisions = [], [], [], [], [], []
    for day in dates:
        for i, a in enumerate(ids):
            device = f"shared-{i % 3}" if a in bad else f"d-{a}"
            for s in range(int(rng.poisson(2)) + 1):
                sessions.append([f"s-{a}-{day}-{s}", a, _ts(day, rng.integers(0, 86400)), device, f"10.0.{i % 50}.1"])
            for p in range(int(rng.poisson(6 if a in bad else 0.5))):
                content.append({"content_id": f"c-{a}-{day}-{p}", "creator_id": a,
                                "created_at": _ts(day, rng.integers(0, 86400)),
                                "content_type": ["video", "live", "listing"][p % 3],
                                "fingerprint": f"fp{p % 5}" if a in bad else f"fp-{a}-{p}",
                                "quality_score": round(float(rng.random()), 3)})
            if a in bad and rng.random() < 0.5:
                reports.append({"report_id": f"r-{a}-{day}", "ts": _ts(day, 3600), "reporter_id": ids[(i + 1) % accounts],
                                "target_id": a, "reason": "spam"})
            if a in bad and rng.random() < 0.6 or a not in bad and rng.random() < 0.05:
                decisions.append({"decision_id": f"x-{a}-{day}", "ts": _ts(day, 7200), "target_id": a,
                                  "policy": "spam", "outcome": "violation" if a in bad else "no_violation",
                                  "source": "human"})
        todays = [c["content_id"] for c in content if c["created_at"].startswith(day.isoformat())] or ["c-none"]
        for e in range(accounts * 4):
            engagements.append([f"e-{day}-{e}", _ts(day, rng.integers(0, 86400)), ids[int(rng.integers(accounts))],
                                todays[int(rng.integers(len(todays)))],
                                ["view", "view", "view", "like", "comment", "share"][int(rng.integers(6))]])
        for o in range(20):
            seller = ids[7 * int(rng.integers(accounts // 7))]
            orders.append([f"o-{day}-{o}", _ts(day, 600 * o), ids[int(rng.integers(accounts))], seller,
                           f"{rng.random() * 100:.2f}", "refunded" if o % 6 == 0 else "completed"])
    half = len(sessions) // 2
    _csv(root / "sessions" / "a.csv", ["event_id", "account_id", "ts", "device_id", "ip"], sessions[:half])
    _jsonl(root / "sessions" / "b.jsonl", [dict(zip(["event_id", "account_id", "ts", "device_id", "ip"], s))
                                           for s in sessions[half:]])
    _jsonl(root / "content" / "content.jsonl", content)
    cols = ["event_id", "ts", "actor_id", "content_id", "action"]
    third = len(engagements) // 3
    _csv(root / "engagements" / "e1.csv", cols, engagements[:third])
    _jsonl(root / "engagements" / "nested" / "e2.jsonl", [dict(zip(cols, e)) for e in engagements[third:2 * third]])
    (root / "engagements" / "e3").mkdir(parents=True)
    pq.write_table(pa.table({c: [e[k] for e in engagements[2 * third:]] for k, c in enumerate(cols)}),
                   root / "engagements" / "e3" / "e3.parquet")
    _csv(root / "orders" / "orders.csv", ["order_id", "created_at", "buyer_id", "seller_id", "amount", "status"], orders)
    _jsonl(root / "reports" / "reports.jsonl", reports)
    _jsonl(root / "decisions" / "decisions.jsonl", decisions)
    return root


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


# ---- the clean run ------------------------------------------------------------------------------------------
@dataclass
class CleanRun:
    """The clean pipeline: per step its argv (without --lakehouse), the lakehouse before it, the one after it
    and how long the step took in the child."""

    root: Path
    conf: Path
    steps: list[tuple[str, list[str]]]
    seconds: dict[int, float] = field(default_factory=dict)

    def before(self, i: int) -> Path:
        return self.root / f"before-{i}"

    def after(self, i: int) -> Path:
        return self.before(i + 1) if i + 1 < len(self.steps) else self.root / "lakehouse"

    def index(self, job: str) -> int:
        """The last step running `job` (features runs twice: history, then the day under test)."""
        return max(i for i, (name, _) in enumerate(self.steps) if name == job)

    def argv(self, i: int, lakehouse: Path) -> list[str]:
        return [*self.steps[i][1], "--conf", str(self.conf), "--lakehouse", str(lakehouse)]


def pipeline_steps(landing: Path, days: int) -> list[tuple[str, list[str]]]:
    last, before_last = D0 + dt.timedelta(days=days - 1), D0 + dt.timedelta(days=days - 2)
    day = ["--ds", last.isoformat()]
    return [
        ("ingest", ["--landing", str(landing)]),
        ("features", ["--from", D0.isoformat(), "--to", before_last.isoformat()]),
        ("train", ["--ds", before_last.isoformat()]),
        ("features", day),
        ("score", day),
        ("strategies", day),
        ("metrics", day),
    ]


def run_clean(root: Path, landing: Path, days: int) -> CleanRun:
    """All steps in one child; the child copies the lakehouse to `before-<i>` just before step i."""
    root, landing = root.absolute(), landing.absolute()
    root.mkdir(parents=True)
    conf = root / "overlay.yaml"
    conf.write_text(json.dumps(OVERLAY))  # JSON is YAML
    clean = CleanRun(root, conf, pipeline_steps(landing, days))
    live = root / "lakehouse"
    plan = [{"job": job, "argv": clean.argv(i, live), "lakehouse": str(live),
             "snapshot": str(clean.before(i)) if i else None} for i, (job, _) in enumerate(clean.steps)]
    (root / "plan.json").write_text(json.dumps(plan))
    clean.before(0).mkdir()  # the empty lakehouse the ingest starts from
    out = subprocess.run([sys.executable, str(RUNNER), str(root / "plan.json")], capture_output=True, text=True,
                         env=child_env(), cwd=root, timeout=1800)
    assert out.returncode == 0, f"the clean run failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    done = [line.split() for line in out.stdout.splitlines() if line.startswith("done ")]
    clean.seconds = {i: float(parts[2]) for i, parts in enumerate(done[: len(clean.steps)])}
    (root / "seconds.json").write_text(json.dumps(clean.seconds))
    print(f"clean run: {[(job, round(clean.seconds[i], 1)) for i, (job, _) in enumerate(clean.steps)]}")
    return clean


def reuse_clean(base: Path, days: int) -> CleanRun:
    """A clean run left by an earlier session in `base` (GOVERN_FAULT_REUSE=DIR: replaying kills quickly)."""
    seconds = json.loads((base / "clean" / "seconds.json").read_text())
    clean = CleanRun(base / "clean", base / "clean" / "overlay.yaml", pipeline_steps(base / "landing", days))
    clean.seconds = {int(k): v for k, v in seconds.items()}
    return clean


@pytest.fixture(scope="session")
def small_clean(tmp_path_factory) -> CleanRun:
    reuse = os.environ.get("GOVERN_FAULT_REUSE")
    if reuse and (Path(reuse) / "clean" / "seconds.json").exists():
        return reuse_clean(Path(reuse).absolute(), DAYS)
    base = tmp_path_factory.mktemp("faults-small")
    landing = write_small_landing(base / "landing")
    return run_clean(base / "clean", landing, DAYS)


# ---- killing a job ------------------------------------------------------------------------------------------
@dataclass
class Killed:
    lakehouse: Path
    moment: float
    finished: bool  # the job completed before the kill landed
    output: list[str]


def kill_at(clean: CleanRun, i: int, work: Path, moment: float) -> Killed:
    """Copy the state before step i to `work`, run step i in a child and SIGKILL its process group `moment`
    seconds after the job started (the JVM start-up is not counted)."""
    import shutil

    work = work.absolute()
    lakehouse = work / "lakehouse"
    shutil.copytree(clean.before(i), lakehouse, symlinks=True)
    job = clean.steps[i][0]
    plan = work / "plan.json"
    plan.write_text(json.dumps([{"job": job, "argv": clean.argv(i, lakehouse), "lakehouse": str(lakehouse)}]))
    child = subprocess.Popen([sys.executable, str(RUNNER), str(plan)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=child_env(), cwd=work, start_new_session=True)
    seen = []
    try:
        for line in child.stdout:
            seen.append(line.strip())
            if line.startswith("start "):
                break
        time.sleep(moment)
    finally:
        try:
            os.killpg(child.pid, signal.SIGKILL)  # the driver and its JVM: a hard crash mid-job
        except ProcessLookupError:  # the job finished before the moment
            pass
        rest, _ = child.communicate(timeout=60)
    seen += rest.splitlines()
    assert any(s.startswith("start ") for s in seen), f"the child never started {job}: {seen}"
    return Killed(lakehouse, moment, any(s.startswith("done ") for s in seen), seen)


@pytest.fixture(scope="session")
def run_and_kill():
    """`kill_at` for the tests (they import nothing from each other)."""
    return kill_at
