"""The import contracts run over the installed layout (scripts/lint_imports.sh) and can fail."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What lint-imports saw before jobs/, features/ and models/ moved under creator_governance (2026-12-05, 187 files).
MODULES_BEFORE = 187


def _copy_of_repository(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("creator_governance", "jobs", "features", "models", "scripts"):
        shutil.copytree(ROOT / folder, target / folder, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def _lint(repository: Path) -> subprocess.CompletedProcess:
    bin_dir = str(Path(sys.executable).parent)
    if shutil.which("lint-imports", path=bin_dir) is None:
        pytest.skip("lint-imports is not installed beside this Python (the dev extra installs it)")
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(["bash", "scripts/lint_imports.sh", "--no-cache"], cwd=repository, env=env,
                          capture_output=True, text=True, timeout=300)


def test_contracts_see_every_module_and_fail_on_a_planted_models_to_jobs_import(tmp_path):
    repository = _copy_of_repository(tmp_path / "repo")
    kept = _lint(repository)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    analysed = int(re.search(r"Analyzed (\d+) files", kept.stdout).group(1))
    assert analysed >= MODULES_BEFORE, kept.stdout

    planted = repository / "models" / "queue" / "priority.py"
    planted.write_text(planted.read_text() + "\nfrom creator_governance.jobs import registry  # noqa\n")
    broken = _lint(repository)
    assert broken.returncode != 0
    assert "cli > jobs > models > features BROKEN" in broken.stdout
    assert "creator_governance.models.queue.priority -> creator_governance.jobs.registry" in broken.stdout


@pytest.mark.parametrize("package", ["jobs", "features", "models"])
def test_a_bare_import_of_a_repository_folder_names_the_fix(package):
    """From the repository root a bare `import models` would find our folder: it refuses, naming the real name."""
    probe = subprocess.run([sys.executable, "-c", f"import {package}"], cwd=ROOT, capture_output=True, text=True)
    assert probe.returncode == 1
    assert f"import creator_governance.{package} instead" in probe.stderr


def test_a_users_own_models_package_is_untouched(tmp_path):
    """A data-science repository's own `models/` beside ours: `import models` is theirs, ours stays reachable."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("MINE = True\n")
    probe = subprocess.run(
        [sys.executable, "-c", "import models, creator_governance.models.queue.priority as p; "
                               "print(models.MINE, p.__name__)"],
        cwd=tmp_path, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["True", "creator_governance.models.queue.priority"]
