"""One error path: every error class maps to its exit code in `registry.cli.main`, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registry import cli
from registry.errors import (
    ApiError,
    AuthError,
    ConfigError,
    ExitCode,
    InvalidTemplates,
    RegistryError,
)
from tests.helpers import git, init_repo, named
from tests.live_server import running_server


@pytest.mark.parametrize(("error", "code", "shown"), [
    (ConfigError("bad option"), 2, "template-registry: bad option"),
    (AuthError("key refused", status=401), 2, "template-registry: key refused"),
    (ApiError("GET /x failed (500)", status=500), 1, "template-registry: GET /x failed (500)"),
    (RegistryError("name taken"), 1, "template-registry: name taken"),
    (InvalidTemplates("The templates at HEAD do not validate"), 2,
     "The templates at HEAD do not validate"),
])
def test_each_error_maps_to_its_code(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str],
                                     error: RegistryError, code: int, shown: str) -> None:
    def fail(*args: object, **kwargs: object) -> int:
        raise error

    monkeypatch.setattr("registry.commands.validate.validate", fail)
    assert cli.main(["validate"]) == code
    assert capsys.readouterr().err.splitlines() == [shown]


def test_ctrl_c_is_130_not_errors_found(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("registry.commands.validate.validate", interrupted)
    assert cli.main(["validate"]) == ExitCode.INTERRUPTED == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "Interrupted."


def test_detailed_exitcode_reports_every_error_as_1(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.template-registry]\nbogus = 1\n")
    monkeypatch.setenv("SGP_API_KEY", "k")
    assert cli.main(["plan", "--root", str(tmp_path)]) == 2
    assert cli.main(["plan", "--root", str(tmp_path), "--detailed-exitcode"]) == 1


def test_sigint_during_a_real_plan_exits_130(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / "pyproject.toml").write_text("[tool.template-registry]\n")
    (repo / "templates").mkdir()
    (repo / "templates/a.yaml").write_text(named("a", "acct-1"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a")
    with running_server("--latency-ms", "3000") as server:
        env = {**os.environ, "SGP_API_KEY": "test-key", "SGP_CLIENT_BASE_URL": server.url}
        process = subprocess.Popen([sys.executable, "-m", "registry", "plan", "--root", str(repo)],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        time.sleep(1.5)  # the plan is waiting for the slow listing
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "Interrupted."


@pytest.mark.parametrize(("error", "shown"), [
    (ApiError("POST /x failed (422): \x1b[2J\n::error::pwned \u202e\\"),
     ["template-registry: POST /x failed (422): \\x1b[2J\\n::error::pwned \\u202e\\\\"]),
    (InvalidTemplates("The templates do not validate:\n::error::a\\\\b.yaml:1:1: x\x1b"),
     ["The templates do not validate:", "\\x3a:error::a\\\\b.yaml:1:1: x\\x1b"]),
])
def test_messages_are_escaped(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                              error: RegistryError, shown: list[str]) -> None:
    """Prefixed messages (server answers, file names) are escaped once; a preformatted
    report (its values escaped when it was built) keeps its lines and backslashes."""
    def fail(*args: object, **kwargs: object) -> int:
        raise error

    monkeypatch.setattr("registry.commands.validate.validate", fail)
    cli.main(["validate"])
    assert capsys.readouterr().err.splitlines() == shown


def test_usage_errors_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--format", "x\n::error::y\x1b"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "Error: Invalid value for '--format': 'x\\n::error::y\\x1b' is not one of 'text', "
        "'json', 'github', 'sarif', 'codeclimate'.")
