"""`template-registry environments`: what CI reads to find an environment's key variable,
and what people read to see where each environment's templates go."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from registry.cli import main
from registry.client import API_KEY_ENV
from registry.commands.environments import DEFAULT_KEY_ENV

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["environments", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_this_repository_as_a_table_and_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--root", str(ROOT))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "NAME        BASE URL                         KEY VARIABLE         OVERLAY"
        "              ACCOUNTS",
        "staging     https://staging.egp.example.com  SGP_STAGING_API_KEY  overlays/staging"
        "     acct-genai-apps -> acct-genai-staging, acct-search-team -> acct-search-staging",
        "production  https://api.egp.scale.com        SGP_API_KEY          overlays/production"
        "  (the files' ids)",
        "2 environment(s)"]
    code, out, _ = run(capsys, "--root", str(ROOT), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"environments": [
        {"name": "staging", "base_url": "https://staging.egp.example.com",
         "api_key_env": "SGP_STAGING_API_KEY", "overlay": "overlays/staging",
         "accounts": {"acct-genai-apps": "acct-genai-staging",
                      "acct-search-team": "acct-search-staging"}},
        {"name": "production", "base_url": "https://api.egp.scale.com",
         "api_key_env": "SGP_API_KEY", "overlay": "overlays/production", "accounts": {}}]}


def test_one_environment_and_an_unknown_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--root", str(ROOT), "--env", "production", "--format", "json")
    assert code == 0
    assert [e["name"] for e in json.loads(out)["environments"]] == ["production"]
    code, out, err = run(capsys, "--root", str(ROOT), "--env", "prod")
    assert (code, out) == (2, "")
    assert err == ("template-registry: --env prod: no such environment in "
                   "[tool.template-registry.environments] (known: production, staging)\n")


def test_defaults_are_named_and_untrusted_text_escaped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.template-registry.environments.qa]\n'
        'base_url = "https://qa.example.com/\\u001b[31m"\n'
        'accounts = { "acct-a" = "acct-a-\\u202eqa" }\n'
        '[tool.template-registry.environments.dev]\n')
    code, out, _ = run(capsys, "--root", str(tmp_path))
    assert code == 0
    assert out.splitlines() == [
        "NAME  BASE URL                                            KEY VARIABLE  OVERLAY"
        "  ACCOUNTS",
        "qa    https://qa.example.com/\\x1b[31m                     SGP_API_KEY   (none) "
        "  acct-a -> acct-a-\\u202eqa",
        "dev   (none: $SGP_CLIENT_BASE_URL, base_url, production)  SGP_API_KEY   (none) "
        "  (the files' ids)",
        "2 environment(s)"]
    code, out, _ = run(capsys, "--root", str(tmp_path), "--format", "json", "--env", "dev")
    assert json.loads(out) == {"environments": [{"name": "dev", "base_url": None,
                                                 "api_key_env": "SGP_API_KEY",
                                                 "accounts": {}, "overlay": None}]}
    assert "\x1b" not in out and "\\u001b" not in out  # dev only


def test_without_environments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.template-registry]\ntemplates = "t"\n')
    assert run(capsys, "--root", str(tmp_path)) == (
        0, "No environments are configured: plan and sync use one API (see the README, "
           "\"Environments\").\n", "")
    assert run(capsys, "--root", str(tmp_path), "--format", "json") == (
        0, '{\n  "environments": []\n}\n', "")


def test_the_default_key_variable_is_the_clients() -> None:
    assert DEFAULT_KEY_ENV == API_KEY_ENV


def test_it_runs_without_the_sync_extra() -> None:
    """The command reads the configuration only: no httpx, no GitPython needed."""
    code = ("import sys; sys.modules['httpx'] = None; sys.modules['git'] = None\n"
            "from registry.cli import main\n"
            "raise SystemExit(main(['environments', '--env', 'staging', '--format', 'json']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["environments"][0]["api_key_env"] == "SGP_STAGING_API_KEY"


def environments_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Environments\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_shows_this_repositorys_configuration(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The README's example is what this repository runs: its environment tables, its
    patches, and what `environments` prints for them."""
    section = environments_section()
    config = section.split("```toml\n", 1)[1].split("```\n", 1)[0]
    assert config in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    patches = re.findall(r"```yaml\n(# (overlays/\S+):.*?)```\n", section, re.S)
    assert [path for _, path in patches] == [
        "overlays/staging/genai/batch-summarizer-async.yaml",
        "overlays/production/genai/batch-summarizer-async.yaml"]
    for text, path in patches:
        assert (ROOT / path).read_text(encoding="utf-8") == text
    shown = section.split("$ template-registry environments\n", 1)[1].split("```", 1)[0]
    assert run(capsys, "--root", str(ROOT)) == (0, shown, "")
