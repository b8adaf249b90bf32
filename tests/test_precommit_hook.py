"""The hook through the real pre-commit framework, in fresh repositories: `pre-commit
try-repo`, and `pre-commit install` then `git commit` as a registry repository does.

pre-commit installs this repository (with any uncommitted changes) into its own virtualenv,
exactly as a registry repository using the hook by URL would get it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import BASE, edit, git, init_repo, named

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
LATEST = edit(BASE, 'tag: "1.0.0"', "tag: latest")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This repository as pre-commit fetches it by URL: its files, committed or not, in a
    repository of their own at one commit (what try-repo makes, kept for `install`)."""
    source = init_repo(tmp_path_factory.mktemp("hook-source"))
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for rel in filter(None, listed.split("\0")):
        if (ROOT / rel).is_file():  # a deleted, not yet committed file is skipped
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    git(source, "add", "-A")
    git(source, "commit", "-qm", "snapshot")
    return source, git(source, "rev-parse", "HEAD").strip()


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    env.pop("VIRTUAL_ENV", None)
    return env


def try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(ROOT), "validate-model-templates"],
                          cwd=repo, env=environment(home), capture_output=True, text=True,
                          timeout=600)


def hook_output(output: str) -> list[str]:
    """The lines pre-commit prints under the hook's status line: `- hook id`, `- duration`,
    `- exit code` when it failed, a blank line, then what the hook printed."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("validate model templates"))
    body = lines[start + 1:]
    assert body[:1] == ["- hook id: validate-model-templates"], f"no hook output:\n{output}"
    assert body[1].startswith("- duration: ")
    if "Failed" in lines[start]:
        assert body.pop(2) == "- exit code: 1"
    assert body[2] == ""
    return [line for line in body[3:] if line]


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


def test_a_commit_with_a_warning_passes_and_shows_it(tmp_path: Path, pre_commit_home: Path,
                                                     hook_source: tuple[Path, str]) -> None:
    """pre-commit shows a passing hook's output only with `verbose: true` (which the hook
    sets): without it, a moving image tag would be committed without a word."""
    source, rev = hook_source
    repo = init_repo(tmp_path / "registry-repo")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n"
        "      - id: validate-model-templates\n")
    env = environment(pre_commit_home)
    subprocess.run([str(PRE_COMMIT), "install"], cwd=repo, env=env, check=True,
                   capture_output=True, timeout=60)
    (repo / "templates").mkdir()
    (repo / "templates/model.yaml").write_text(LATEST)
    git(repo, "add", "-A")

    def commit(message: str) -> str:
        done = subprocess.run(["git", "commit", "-m", message], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr  # git gives hooks stderr for their stdout

    output = commit("a template with a moving tag")
    assert "validate model templates" in output and "Passed" in output
    assert hook_output(output) == [
        "templates/model.yaml:10:10: warning image-tag: tag 'latest' moves: the image behind "
        "this template can change without a change in git; pin a version (e.g. '1.4.2') or a "
        "digest",
        "1 file(s) checked: 0 error(s), 1 warning(s).",
    ]
    # The clean case stays short: one summary line.
    (repo / "templates/model.yaml").write_text(BASE)
    git(repo, "add", "-A")
    assert hook_output(commit("pin the tag")) == ["1 file(s) checked: no problems found."]
    assert git(repo, "log", "--format=%s").splitlines() == ["pin the tag",
                                                            "a template with a moving tag"]


def test_both_hook_definitions_are_verbose() -> None:
    """The hook for other repositories and this repository's own: warnings are shown in both,
    every YAML file goes to one process, which checks the templates and patches among them."""
    (manifest,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert manifest["id"] == "validate-model-templates" and manifest["verbose"] is True
    local = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    (own,) = [hook for repo in local["repos"] for hook in repo["hooks"]
              if hook["id"] == "validate-model-templates"]
    assert own["verbose"] is True
    for hook in (manifest, own):
        assert (hook["types"], hook["require_serial"]) == (["yaml"], True)
        assert "files" not in hook
        assert hook["entry"].endswith("template-registry validate --only-registry-files")


def installed(repo: Path, hook_source: tuple[Path, str], home: Path) -> dict[str, str]:
    """REPO with the hook installed from HOOK_SOURCE; the environment to commit with."""
    source, rev = hook_source
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n"
        "      - id: validate-model-templates\n")
    env = environment(home)
    subprocess.run([str(PRE_COMMIT), "install"], cwd=repo, env=env, check=True,
                   capture_output=True, timeout=60)
    return env


def commit(repo: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A")
    return subprocess.run(["git", "commit", "-m", message], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_bad_value_in_a_patch_blocks_the_commit(tmp_path: Path, pre_commit_home: Path,
                                                  hook_source: tuple[Path, str]) -> None:
    repo = init_repo(tmp_path / "registry-repo")
    env = installed(repo, hook_source, pre_commit_home)
    (repo / "pyproject.toml").write_text(
        "[tool.template-registry.environments.staging]\noverlay = \"overlays/staging\"\n"
        "[tool.template-registry.environments.production]\n"
        "overlay = \"overlays/production\"\n")
    (repo / "templates").mkdir()
    (repo / "templates/model.yaml").write_text(BASE)
    (repo / "ci.yml").write_text("- not a template, not checked\n")
    (repo / "overlays/production").mkdir(parents=True)
    patch = repo / "overlays/production/model.yaml"
    patch.write_text("# production: bigger workers\nvendor_configuration:\n"
                     "  endpoint_config:\n    memory: 24GB\n")
    blocked = commit(repo, env, "production workers")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert hook_output(blocked.stdout + blocked.stderr) == [
        "overlays/production/model.yaml:4:13: error launch-resources: memory '24GB' is not a "
        "quantity Launch accepts; did you mean '24Gi'? (in production)",
        "2 file(s) checked: 1 error(s), 0 warning(s).",
    ]
    patch.write_text(patch.read_text().replace("24GB", "24Gi"))
    passed = commit(repo, env, "production workers")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert hook_output(passed.stdout + passed.stderr) == [
        "2 file(s) checked: no problems found."]


def test_a_case_duplicate_in_a_registry_in_a_subfolder_is_caught(
        tmp_path: Path, pre_commit_home: Path, hook_source: tuple[Path, str]) -> None:
    """pre-commit runs the hook from the repository's top with the changed files only: the
    registry (and so every template uniqueness must compare with) is found from them."""
    repo = init_repo(tmp_path / "monorepo")
    env = installed(repo, hook_source, pre_commit_home)
    (repo / "models/templates").mkdir(parents=True)
    (repo / "models/pyproject.toml").write_text("[tool.template-registry]\n")
    (repo / "models/templates/a.yaml").write_text(named("Model-X"))
    first = commit(repo, env, "a template")
    assert first.returncode == 0, first.stdout + first.stderr
    assert hook_output(first.stdout + first.stderr) == ["1 file(s) checked: no problems found."]
    (repo / "models/templates/b.yaml").write_text(named("model-x"))
    blocked = commit(repo, env, "the same template again")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert hook_output(blocked.stdout + blocked.stderr) == [
        "templates/b.yaml:1:7: error unique-name: template name 'model-x' in account "
        "'acct-test' differs only in case or spaces from the one in templates/a.yaml:1; names "
        "must be unique in an account",
        "1 file(s) checked: 1 error(s), 0 warning(s).",
    ]
