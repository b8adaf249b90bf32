"""A stand-in for the GitHub Actions runner: run a job's steps here, in order, for real.

What it does as the runner does:
- `${{ NAME }}` expressions that are plain names (`inputs.x`, `github.sha`,
  `secrets.X`, `vars.X`, `steps.ID.outputs.NAME`, `runner.temp`) are replaced by their
  values; an unknown name fails the test (a typo in a workflow is caught here).
- `run:` steps run in `bash --noprofile --norc -eo pipefail`, with the step's `env:` and
  `working-directory:`, and fresh `$GITHUB_OUTPUT` and `$GITHUB_PATH` files whose lines
  become `steps.ID.outputs.*` and PATH entries of the later steps. `$GITHUB_STEP_SUMMARY`
  is the caller's file.
- `uses: ./` (and any name the caller maps to a folder, such as
  `<your-org>/model-template-registry@...`) runs that folder's composite action: its
  inputs are its defaults, then `with:`; its steps see `$GITHUB_ACTION_PATH`, their
  own `steps.*` and the calling step's `env:`; its `outputs:` become the calling step's
  outputs.
- After a failed step, only steps with `if: always()` run.

What it does not: other actions (checkout, setup-python, upload-artifact are the
runner's own: they are skipped, their outputs taken from `given_outputs`), other `if:`
expressions (an error), matrices, services.
Steps whose id is in `skip` are skipped (the tests install the tool themselves).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


@dataclass
class Step:
    """One `run:` step that ran: its name (`outer: inner` inside an action) and result."""

    name: str
    returncode: int
    stdout: str
    stderr: str


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _text(value: Any) -> str:
    """A YAML value as the runner passes it: booleans as `true`/`false`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute(text: str, values: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"the workflow uses ${{{{ {name} }}}}, which this run does not set")
        return values[name]

    return EXPRESSION.sub(value, text)


@dataclass
class Runner:
    """Runs jobs of workflows in WORKSPACE with CONTEXT (github.*, secrets.*, vars.*,
    runner.*) and the process environment ENV."""

    workspace: Path
    context: dict[str, str]
    env: dict[str, str]
    actions: dict[str, Path] = field(default_factory=dict)  # `uses:` prefix -> folder
    skip: frozenset[str] = frozenset()
    given_outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # of skipped actions
    timeout: float = 600.0
    path: list[str] = field(default_factory=list)  # added through $GITHUB_PATH

    def run_job(self, workflow: dict[str, Any], job: str | None = None) -> list[Step]:
        jobs = workflow["jobs"]
        (name,) = [job] if job is not None else list(jobs)
        return self._steps(jobs[name]["steps"], dict(self.context), None)

    def _steps(self, steps: list[dict[str, Any]], scope: dict[str, str],
               action: Path | None, prefix: str = "",
               inherited: dict[str, str] | None = None) -> list[Step]:
        done: list[Step] = []
        for number, step in enumerate(steps, 1):
            condition = step.get("if")
            if condition not in (None, "always()", "${{ always() }}"):
                raise ValueError(f"unsupported if: {condition!r}")
            failed = any(s.returncode != 0 for s in done)
            if (failed and condition is None) or step.get("id") in self.skip:
                continue
            name = prefix + str(step.get("name", step.get("uses", f"step {number}")))
            outputs: dict[str, str] = {}
            if "run" in step:
                done.append(self._run(step, scope, action, name, outputs, inherited or {}))
            else:
                folder = self._action(str(step["uses"]))
                if folder is None:  # the runner's own action (checkout, setup-python, ...)
                    outputs = self.given_outputs.get(str(step["uses"]).split("@")[0], {})
                else:
                    inner, outputs = self._composite(folder, step, scope, name)
                    done += inner
            for key, value in outputs.items():
                if "id" in step:
                    scope[f"steps.{step['id']}.outputs.{key}"] = value
        return done

    def _action(self, uses: str) -> Path | None:
        for prefix, folder in self.actions.items():
            if uses == prefix or uses.startswith(prefix + "@"):
                return folder
        return self.workspace if uses == "./" else None

    def _composite(self, folder: Path, step: dict[str, Any], scope: dict[str, str],
                   name: str) -> tuple[list[Step], dict[str, str]]:
        action = load(folder / "action.yml")
        assert action["runs"]["using"] == "composite"
        given = {key: substitute(_text(value), scope)
                 for key, value in (step.get("with") or {}).items()}
        unknown = set(given) - set(action.get("inputs", {}))
        assert not unknown, f"{name}: no such input {sorted(unknown)}"
        inner = {k: v for k, v in self.context.items() if k.startswith(("github.", "runner."))}
        for key, spec in action.get("inputs", {}).items():
            inner[f"inputs.{key}"] = given.get(key, substitute(_text(spec.get("default", "")),
                                                               self.context))
        env = {k: substitute(_text(v), scope) for k, v in (step.get("env") or {}).items()}
        done = self._steps(action["runs"]["steps"], inner, folder, prefix=f"{name}: ",
                           inherited=env)
        outputs = {key: substitute(_text(spec["value"]), _with_empty_outputs(inner, spec))
                   for key, spec in action.get("outputs", {}).items()}
        return done, outputs

    def _run(self, step: dict[str, Any], scope: dict[str, str], action: Path | None,
             name: str, outputs: dict[str, str], inherited: dict[str, str]) -> Step:
        with tempfile.TemporaryDirectory() as scratch:
            output_file, path_file = Path(scratch) / "output", Path(scratch) / "path"
            output_file.write_text("")
            path_file.write_text("")
            env = {**self.env, "GITHUB_OUTPUT": str(output_file),
                   "GITHUB_PATH": str(path_file), "GITHUB_WORKSPACE": str(self.workspace),
                   "PATH": os.pathsep.join([*reversed(self.path), self.env["PATH"]])}
            if action is not None:
                env["GITHUB_ACTION_PATH"] = str(action)
            env.update(inherited)  # the `env:` of the step that called the action
            env.update({k: substitute(_text(v), scope) for k, v in step.get("env", {}).items()})
            cwd = self.workspace / substitute(_text(step.get("working-directory", ".")), scope)
            script = substitute(step["run"], scope)
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                   script], cwd=cwd, env=env, capture_output=True, text=True,
                                  timeout=self.timeout)
            for line in output_file.read_text().splitlines():
                key, _, value = line.partition("=")
                outputs[key] = value
            self.path += [line for line in path_file.read_text().splitlines() if line]
        return Step(name, done.returncode, done.stdout, done.stderr)


def _with_empty_outputs(scope: dict[str, str], spec: dict[str, Any]) -> dict[str, str]:
    """An output of a step that did not set it is empty, as on GitHub."""
    names = EXPRESSION.findall(_text(spec["value"]))
    return {**{name: "" for name in names}, **scope}


def tool_copy(root: Path, dest: Path) -> str:
    """This checkout's files as they are now (committed or not, but not ignored) as a git
    repository at DEST with one commit: what a registry repository refers to by URL and
    commit (a pre-commit `rev:`, `uses: ...@<commit>`, TEMPLATE_REGISTRY_REF). Its commit."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=root, capture_output=True, check=True)
    for name in sorted(set(listed.stdout.decode().split("\0")) - {""}):
        source = root / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=CI", "-c", "user.email=ci@example.com", "commit", "-qm",
                  "the tool under test"]):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, check=True,
                          capture_output=True, text=True).stdout.strip()


REGISTRY_PYPROJECT = """\
[tool.template-registry]
templates = "templates"

[tool.template-registry.accounts]
"acct-test" = ["templates/**"]
"""


def registry_repository(path: Path, origin: Path, templates: Mapping[str, str],
                        pyproject: str = REGISTRY_PYPROJECT) -> Path:
    """A registry repository of its own (templates, patches and a pyproject.toml, no copy
    of the tool) at PATH on branch main, cloned from a bare ORIGIN as a CI checkout is."""
    seed = path.with_name(path.name + "-seed")
    for rel, text in {"pyproject.toml": pyproject, **templates}.items():
        (seed / rel).parent.mkdir(parents=True, exist_ok=True)
        (seed / rel).write_text(text, encoding="utf-8")
    for cwd, args in ((seed, ["init", "-q", "-b", "main"]), (seed, ["add", "-A"]),
                      (seed, ["commit", "-qm", "the first templates"]),
                      (seed, ["clone", "-q", "--bare", str(seed), str(origin)]),
                      (seed, ["clone", "-q", str(origin), str(path)])):
        subprocess.run(["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com", *args],
                       cwd=cwd, check=True, capture_output=True)
    for key, value in (("user.name", "CI"), ("user.email", "ci@example.com")):
        subprocess.run(["git", "config", key, value], cwd=path, check=True)
    return path
