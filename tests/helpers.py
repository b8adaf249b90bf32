"""Shared test material: a valid template with known line numbers, and small helpers."""

from __future__ import annotations

import subprocess
from pathlib import Path

from registry.checks import check_content

# Line numbers are part of the tests' assertions: keep this text's layout.
BASE = """\
name: test-model
account_id: acct-test
endpoint_type: SYNC
model_type: GENERIC
vendor_configuration:
  vendor: LAUNCH
  bundle_config:
    registry: registry.example.com
    image: server
    tag: "1.0.0"
    command: [python, -m, server]
    healthcheck_route: /healthz
    predict_route: /predict
  endpoint_config:
    cpus: 2
    memory: 4Gi
    storage: 10Gi
    min_workers: 1
    max_workers: 2
    per_worker: 4
"""


def edit(text: str, old: str, new: str) -> str:
    """TEXT with the one occurrence of OLD replaced by NEW (fails loudly if not exactly one)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def findings_of(text: str | bytes) -> list[tuple[int, int, str, str]]:
    """(line, column, severity, rule) of every finding for one file's content."""
    raw = text.encode() if isinstance(text, str) else text
    return [(row[0], row[1], row[2], row[3]) for row in check_content(raw, "t.yaml").rows]


def messages_of(text: str | bytes) -> list[str]:
    raw = text.encode() if isinstance(text, str) else text
    return [row[4] for row in check_content(raw, "t.yaml").rows]


def named(name: str, account: str = "acct-test") -> str:
    """BASE with another name and account (same line layout)."""
    return edit(edit(BASE, "name: test-model", f"name: {name}"), "account_id: acct-test",
                f"account_id: {account}")


def git(repo: Path, *args: str) -> str:
    """Run git in REPO; fail the test on a non-zero exit; return its output."""
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


def init_repo(path: Path) -> Path:
    """A new git repository at PATH on branch main, with a committer identity."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "ci@example.com")
    git(path, "config", "user.name", "CI")
    return path
