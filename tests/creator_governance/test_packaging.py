"""The wheel leaves Spark, Delta's Python package and XGBoost to the runtime: they are the extra `spark`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROVIDED = re.compile(r"^(pyspark|delta[-_]spark|xgboost.*)$", re.IGNORECASE)


def _requirement_name(line: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", line.split(":", 1)[1].strip(), maxsplit=1)[0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=180)
    (path,) = out.glob("creator_governance-*.whl")
    return path


@pytest.mark.slow
def test_wheel_metadata_requires_spark_only_through_the_extra(wheel):
    with zipfile.ZipFile(wheel) as zf:
        metadata = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    unconditional = [_requirement_name(r) for r in requires if "extra ==" not in r]
    assert "deltalake" in unconditional  # the parser reads what it should
    assert not [n for n in unconditional if PROVIDED.match(n)], unconditional
    spark_extra = {_requirement_name(r) for r in requires if 'extra == "spark"' in r}
    assert spark_extra == {"pyspark", "delta-spark", "xgboost-cpu"}
    assert any(r.startswith("Requires-Dist: creator-governance[spark]") and 'extra == "dev"' in r for r in requires)


@pytest.mark.slow
def test_installing_the_wheel_into_a_fresh_venv_pulls_no_spark(wheel, tmp_path):
    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    report = tmp_path / "report.json"
    # Resolves every dependency of the wheel (from PyPI / the wheel cache) without installing anything.
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                           "--dry-run", "--quiet", "--report", str(report), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {item["metadata"]["name"] for item in json.loads(report.read_text())["install"]}
    assert {"creator-governance", "deltalake", "pandas", "pyarrow"} <= {n.replace("_", "-") for n in names}
    assert not [n for n in names if PROVIDED.match(n)], sorted(names)


def test_cli_help_and_a_clear_reason_without_pyspark():
    """Where pyspark is absent (a fresh install without the extra), `govern --help` works and a job says what
    it needs in one line instead of a traceback."""
    script = textwrap.dedent("""
        import sys
        class Absent:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("pyspark", "py4j", "delta", "xgboost"):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, Absent())
        from creator_governance.cli import dispatch, main
        try:
            main(["--help"])
        except SystemExit as exc:
            print("help exit", exc.code)
        print("run exit", dispatch("run", ["--ds", "yesterday"]))
        print("spark loaded", any(m.split(".")[0] == "pyspark" for m in sys.modules))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert "Commands:" in done.stdout and "help exit 0" in done.stdout
    assert "run exit 1" in done.stdout and "spark loaded False" in done.stdout
    assert done.stderr.strip().splitlines() == [
        "govern run: error: needs pyspark, which a Spark runtime provides: pip install 'creator-governance[spark]' "
        "for local use"]


@pytest.mark.slow
def test_the_wheel_ships_the_quiet_log4j_config(wheel):
    with zipfile.ZipFile(wheel) as zf:
        assert "creator_governance/log4j2-quiet.properties" in zf.namelist()


@pytest.mark.slow
def test_the_wheel_has_one_top_level_package(wheel):
    """jobs/, features/ and models/ ship as creator_governance.jobs/.features/.models: nothing else at the top,
    so a user's own `models` package and ours never overwrite or shadow each other."""
    with zipfile.ZipFile(wheel) as zf:
        top_level = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/top_level.txt"))
        tops = {name.split("/", 1)[0] for name in zf.namelist() if not name.split("/", 1)[0].endswith(".dist-info")}
        names = set(zf.namelist())
    assert top_level.split() == ["creator_governance"]
    assert tops == {"creator_governance"}
    assert {"creator_governance/jobs/registry.py", "creator_governance/features/canonical.py",
            "creator_governance/models/queue/priority.py", "creator_governance/conf/base/tables.yaml"} <= names
