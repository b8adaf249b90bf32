"""The lean install and the lock.

- The hook's environment, as pre-commit builds it from this repository (base
  dependencies only), has no server, httpx or GitPython: validate works there, and the
  commands that need an extra say which one to install (exit 2), never a traceback.
- requirements/sync.txt, what CI jobs install with `--require-hashes`, was made from the
  dependencies pyproject.toml declares now (checked offline, by the digest it records),
  and pins every package with `==` and its hashes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.lock import DIGEST_PREFIX, LOCK, PYPROJECT, spec_digest
from tests.ci_steps import tool_copy
from tests.helpers import BASE, git, init_repo

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
NOT_IN_BASE = {"fastapi", "uvicorn", "starlette", "httpx", "httpcore", "gitpython"}
BASE_PACKAGES = {"model-template-registry", "pydantic", "pyyaml", "pathspec", "click"}


def needs(extra: str, module: str) -> str:
    return (f"template-registry: this command needs the {extra!r} extra, which is not "
            f"installed (no module {module!r}): pip install 'model-template-registry"
            f"[{extra}]'\n")


def test_the_hook_environment_has_the_base_install_only(tmp_path: Path) -> None:
    """A registry repository using the hook by path and commit, as it would by URL."""
    tool = tmp_path / "model-template-registry"
    commit = tool_copy(ROOT, tool)
    repo = init_repo(tmp_path / "registry")
    (repo / "templates").mkdir()
    (repo / "templates/model.yaml").write_text(BASE)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {tool}\n    rev: {commit}\n"
        "    hooks:\n      - id: validate-model-templates\n")
    git(repo, "add", "-A")
    home = tmp_path / "pre-commit-home"
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "SGP_API_KEY": "lean-key",
           "SGP_CLIENT_BASE_URL": "http://127.0.0.1:9"}
    env.pop("VIRTUAL_ENV", None)
    hook = subprocess.run([str(PRE_COMMIT), "run", "--all-files"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=600)
    assert hook.returncode == 0, hook.stdout + hook.stderr
    assert re.search(r"validate model templates\.+Passed", hook.stdout), hook.stdout

    (python,) = home.glob("*/py_env-*/bin/python")
    listed = subprocess.run([str(python), "-c", "import importlib.metadata as m, json; print("
                             "json.dumps([d.metadata['Name'] for d in m.distributions()]))"],
                            capture_output=True, text=True, check=True)
    installed = {canonicalize_name(name) for name in json.loads(listed.stdout)}
    assert installed >= BASE_PACKAGES
    assert installed & NOT_IN_BASE == set()

    command = str(python.with_name("template-registry"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True,
                              timeout=60)

    validate = run(command, "validate")
    assert (validate.returncode, validate.stdout, validate.stderr) == (
        0, "1 file(s) checked: no problems found.\n", "")
    # Each names the first missing module it meets.
    for args, module in ((["plan"], "httpx"), (["sync"], "git"), (["status"], "httpx"),
                         (["import"], "httpx"), (["list", "--ref", "HEAD"], "git")):
        refused = run(command, *args)
        assert (refused.returncode, refused.stdout, refused.stderr) == (
            2, "", needs("sync", module)), args
    serve = run(command, "serve", "--insecure", "--port", "0")
    assert (serve.returncode, serve.stderr) == (2, needs("serve", "uvicorn"))
    (tmp_path / "plan.md").write_text("No changes.\n")
    env.update(GITHUB_TOKEN="gh-token", GITHUB_REPOSITORY="acme/registry")
    github = run(str(python), "-m", "registry.github", "drift", "--plan-file",
                 str(tmp_path / "plan.md"), "--exit-code", "0")
    assert (github.returncode, github.stderr) == (2, needs("sync", "httpx"))


def requirements(text: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a pip-compile lock with hashes; fails on any line it
    does not recognise, so an unpinned or unhashed requirement cannot slip through."""
    found: dict[str, tuple[str, list[str]]] = {}
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line.startswith(" "):
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+!-]+) \\", line)
            assert match, f"not pinned with == and hashes: {line!r}"
            current = canonicalize_name(match.group(1))
            found[current] = (match.group(2), [])
            continue
        match = re.fullmatch(r"--hash=sha256:([0-9a-f]{64})( \\)?", stripped)
        assert match and current is not None, f"unexpected line: {line!r}"
        found[current][1].append(match.group(1))
    return found


def test_the_lock_is_fresh() -> None:
    first = LOCK.read_text(encoding="utf-8").splitlines()[0]
    assert first == DIGEST_PREFIX + spec_digest(PYPROJECT.read_text(encoding="utf-8")), (
        "requirements/sync.txt was made from other dependencies than pyproject.toml's: "
        "run `make lock`")


def test_the_digest_follows_the_dependencies() -> None:
    text = PYPROJECT.read_text(encoding="utf-8")
    assert spec_digest(text.replace('"click>=8.1",', '"click>=8.2",')) != spec_digest(text)
    assert spec_digest(text.replace('"pytest>=8",', '"pytest>=9",')) == spec_digest(text)


def test_the_lock_pins_every_package_with_hashes() -> None:
    locked = requirements(LOCK.read_text(encoding="utf-8"))
    assert all(hashes for _, hashes in locked.values())
    pyproject = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    direct = [*pyproject["project"]["dependencies"],
              *pyproject["project"]["optional-dependencies"]["sync"],
              *pyproject["build-system"]["requires"]]
    for spec in map(Requirement, direct):
        name = canonicalize_name(spec.name)
        assert name in locked, f"{name} is not in the lock"
        assert spec.specifier.contains(locked[name][0], prereleases=True), spec
    assert set(locked) & (NOT_IN_BASE - {"httpx", "httpcore", "gitpython"}) == set()
    assert {"pytest", "ruff", "mypy", "pre-commit"} & set(locked) == set()
