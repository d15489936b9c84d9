"""scripts/venv.sh (sourced by demo.sh and test.sh): pip runs once per pyproject.toml and extras, its output kept
in .venv/install.log; a failed install says so and stops the script."""

import hashlib
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "venv.sh"


def project_venv(folder: Path, extras: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", f'set -euo pipefail; . "{SCRIPT}"; project_venv {extras}; echo ready'],
                          cwd=folder, capture_output=True, text=True, timeout=120)


def test_an_installed_pyproject_is_not_installed_again_and_a_failed_install_stops(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    # a venv without pip: any install attempt fails
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / ".venv")], check=True)

    failed = project_venv(tmp_path, "spark")
    assert failed.returncode != 0 and "ready" not in failed.stdout
    assert "install failed: see .venv/install.log" in failed.stderr
    assert "No module named pip" in (tmp_path / ".venv" / "install.log").read_text()
    assert not (tmp_path / ".venv" / ".installed-spark").exists()

    digest = hashlib.sha256((tmp_path / "pyproject.toml").read_bytes()).hexdigest()
    (tmp_path / ".venv" / ".installed-spark").write_text(digest + "\n")
    done = project_venv(tmp_path, "spark")
    assert done.returncode == 0 and done.stdout == "ready\n" and done.stderr == ""  # nothing installed, nothing said
    # other extras, or a changed pyproject.toml, install again
    assert project_venv(tmp_path, "spark,dev").returncode != 0
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n')
    assert project_venv(tmp_path, "spark").returncode != 0
