"""`template-registry new` writes templates that validate; `list` shows tree or commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from registry.cli import main
from tests.helpers import git, init_repo


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.template-registry]\n[tool.template-registry.accounts]\n'
        '"acct-a" = ["templates/team-a/**"]\n"acct-b" = ["templates/team-b/**"]\n')
    return tmp_path


@pytest.mark.parametrize(("endpoint", "gpu"), [("SYNC", None), ("ASYNC", "nvidia-ampere-a100"),
                                               ("STREAMING", "nvidia-tesla-t4"),
                                               ("BATCH", "nvidia-hopper-h100")])
def test_new_template_validates(registry: Path, capsys: pytest.CaptureFixture[str],
                                endpoint: str, gpu: str | None) -> None:
    args = ["new", "my-model", "--account", "acct-a", "--endpoint-type", endpoint,
            "--root", str(registry)]
    if gpu:
        args += ["--gpu-type", gpu]
    assert main(args) == 0
    written = yaml.safe_load((registry / "templates/team-a/my-model.yaml").read_text())
    config = written["vendor_configuration"]["endpoint_config"]
    # Launch creates a STREAMING endpoint only with per_worker 1.
    assert config["per_worker"] == (1 if endpoint == "STREAMING" else 4)
    capsys.readouterr()
    assert main(["validate", "--root", str(registry)]) == 0
    assert capsys.readouterr().out == "1 file(s) checked: no problems found.\n"


def test_new_refuses_a_taken_name(registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "dup", "--account", "acct-a", "--root", str(registry)]) == 0
    assert main(["new", "DUP", "--account", "acct-a", "--root", str(registry),
                 "-o", str(registry / "templates/team-a/other.yaml")]) == 1
    assert "already defined" in capsys.readouterr().err
    assert main(["new", "dup", "--account", "acct-b", "--root", str(registry)]) == 0


def test_new_rejects_unknown_gpu(registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "x", "--account", "acct-a", "--gpu-type", "h100",
                 "--root", str(registry)]) == 2
    assert "nvidia-hopper-h100" in capsys.readouterr().err



def test_list_working_tree_and_commit(registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init_repo(registry)
    assert main(["new", "first", "--account", "acct-a", "--root", str(registry)]) == 0
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "first")
    assert main(["new", "second", "--account", "acct-b", "--root", str(registry)]) == 0
    capsys.readouterr()
    assert main(["list", "--root", str(registry), "--format", "json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert [(t["account_id"], t["name"]) for t in tree["templates"]] == [
        ("acct-a", "first"), ("acct-b", "second")]
    assert main(["list", "--root", str(registry), "--ref", "HEAD", "--format", "json"]) == 0
    committed = json.loads(capsys.readouterr().out)
    assert [(t["name"], t["path"]) for t in committed["templates"]] == [
        ("first", "templates/team-a/first.yaml")]
    assert main(["list", "--root", str(registry)]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split() == ["ACCOUNT", "NAME", "ENDPOINT", "MODEL", "PATH"]
    assert text[-1] == "2 template(s)"


def test_list_unknown_ref_is_exit_2(registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(registry, "init", "-q")
    assert main(["list", "--root", str(registry), "--ref", "nope"]) == 2
    assert "no such commit" in capsys.readouterr().err


def test_new_and_validate_share_one_set_of_enums(registry: Path) -> None:
    from registry.enums import MODEL_TYPES
    from registry.model import ModelTemplateRequest

    assert "BUNDLE" in MODEL_TYPES  # validate accepts it, so new must too
    assert main(["new", "b", "--account", "acct-a", "--model-type", "BUNDLE",
                 "--root", str(registry)]) == 0
    field = ModelTemplateRequest.model_fields["model_type"]
    assert set(getattr(field.annotation, "__args__", ())) == set(MODEL_TYPES)
