"""The hook through the real pre-commit framework: `pre-commit try-repo` into a fresh repo.

pre-commit installs this repository (with any uncommitted changes) into its own virtualenv,
exactly as a registry repository using the hook by URL would get it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import BASE, edit, git

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")



@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(ROOT), "validate-model-templates"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_bad_template_blocked_good_one_passes(tmp_path: Path, pre_commit_home: Path) -> None:
    assert PRE_COMMIT.exists(), "pre-commit is a dev dependency"
    repo = tmp_path / "registry-repo"
    (repo / "templates").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("templates\n")
    bad = repo / "templates/model.yaml"
    bad.write_text(edit(BASE, "endpoint_type: SYNC", "endpoint_type: sync"))
    git(repo, "add", "-A")

    blocked = try_repo(repo, pre_commit_home)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "validate model templates" in blocked.stdout
    assert "Failed" in blocked.stdout
    assert "templates/model.yaml:3:16: error schema: endpoint_type: 'sync' is not allowed" \
        in blocked.stdout

    bad.write_text(BASE)
    git(repo, "add", "-A")
    passed = try_repo(repo, pre_commit_home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
