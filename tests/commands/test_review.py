"""Cost and breaking changes in review, end to end: the real CLI, git and local server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.test_sync import KEY, cli, commit, make_repo, write
from tests.helpers import edit
from tests.live_server import LiveServer, running_server

ROOT = Path(__file__).resolve().parents[2]
MISTRAL = (ROOT / "templates/genai/mistral-7b-streaming.yaml").read_text()
STOP = ("    - name: stop_sequence\n      type: str\n"
        "      description: Generation stops when this text appears.\n      required: false\n")
SEED = ("    - name: seed\n      type: int\n      description: Sampling seed.\n"
        "      required: false\n")
PATH = "templates/genai/mistral.yaml"


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with running_server(api_key=KEY) as live:
        yield live


@pytest.fixture
def synced(tmp_path: Path, server: LiveServer) -> Path:
    repo = make_repo(tmp_path / "repo", {PATH: MISTRAL})
    done = cli(server, repo, "sync")
    assert done.returncode == 0, done.stdout + done.stderr
    return repo


def test_fail_on_breaking(synced: Path, server: LiveServer) -> None:
    write(synced, {PATH: edit(edit(MISTRAL, STOP, ""), "cpus: 8", "cpus: 16")})
    commit(synced, "drop stop_sequence, more CPUs")

    failed = cli(server, synced, "plan", "--fail-on-breaking")
    assert failed.returncode == 1
    assert failed.stderr == ("template-registry: 1 breaking change(s) planned "
                             "(acct-genai-apps/mistral-7b-completion-streaming); failing as "
                             "--fail-on-breaking asks\n")
    lines = failed.stdout.splitlines()  # the plan is printed first
    assert lines[-5:] == [
        "      BREAKING: removes request parameter 'stop_sequence'",
        "      monthly cost: g5.4xlarge x 1-8, $1,186 to $9,484 -> g5.8xlarge x 1-8, $1,787 to "
        "$14,296; change +$602 to +$4,812",
        "Breaking: 1 change(s) break models created from a template, or callers that send its "
        "old request parameters.",
        "Monthly cost change: +$602 to +$4,812.",
        "Plan: 0 to create, 1 to replace, 0 to delete.",
    ]
    assert cli(server, synced, "plan").returncode == 0
    assert cli(server, synced, "plan", "--detailed-exitcode").returncode == 2
    both = cli(server, synced, "plan", "--detailed-exitcode", "--fail-on-breaking")
    assert both.returncode == 1, both.stderr
    as_json = cli(server, synced, "plan", "--fail-on-breaking", "--format", "json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["actions"][0]["breaking"] == [
        "removes request parameter 'stop_sequence'"]


def test_a_compatible_change_passes(synced: Path, server: LiveServer) -> None:
    write(synced, {PATH: edit(MISTRAL, STOP, STOP + SEED)})
    commit(synced, "an optional seed")
    done = cli(server, synced, "plan", "--fail-on-breaking")
    assert done.returncode == 0, done.stderr
    assert "BREAKING" not in done.stdout
    assert done.stdout.splitlines()[-2:] == ["Monthly cost change: $0.",
                                             "Plan: 0 to create, 1 to replace, 0 to delete."]
    assert cli(server, synced, "plan", "--fail-on-breaking",
               "--detailed-exitcode").returncode == 2


def test_the_pr_summary_shows_the_cost_change_at_configured_prices(synced: Path,
                                                                    server: LiveServer) -> None:
    (synced / "pyproject.toml").write_text(
        '[tool.template-registry]\n[tool.template-registry.prices]\n"g5.4xlarge" = 1.0\n')
    write(synced, {"templates/genai/second.yaml": edit(
        MISTRAL, "name: mistral-7b-completion-streaming", "name: second")})
    commit(synced, "a second template, negotiated prices")
    done = cli(server, synced, "plan", "--format", "markdown")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[4] == "**Monthly cost change:** +&#36;730 to +&#36;5,840."
    assert lines[-2:] == [
        "| + | <code>acct-genai-apps</code> | <code>second</code> | <code>g5.4xlarge</code> x "
        "1-8 | &#36;730 | &#36;5,840 | +&#36;730 to +&#36;5,840 |",
        "| | **total** | | | | | **+&#36;730 to +&#36;5,840** |",
    ]
