"""No job learns from the simulator's ground truth: outside the simulator (which writes it) and the two jobs that
only name its folder to the user, no module of jobs/, models/, features/ or creator_governance/ mentions it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The simulator writes the truth; `govern simulate` and `govern demo` print where it is.
WRITERS = {"creator_governance/simulator", "jobs/simulate.py", "jobs/demo.py"}
TRUTH = re.compile(r"_truth|bad_accounts|incidents\.json")


def test_no_job_or_model_reads_the_ground_truth():
    readers = []
    for package in ("jobs", "models", "features", "creator_governance"):
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if any(rel == w or rel.startswith(w + "/") for w in WRITERS):
                continue
            if TRUTH.search(path.read_text()):
                readers.append(rel)
    assert readers == []


def test_the_jobs_that_name_the_truth_only_print_its_folder():
    for rel in ("jobs/simulate.py", "jobs/demo.py"):
        lines = [line for line in (ROOT / rel).read_text().splitlines() if TRUTH.search(line)]
        assert lines and all("print" in line or "help" in line or "ground truth" in line for line in lines), rel
