"""`template-registry new` writes templates that validate; `list` shows tree or commit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from registry.cli import main
from registry.commands.schema import SCHEMA_FILE
from registry.model import ModelTemplateRequest
from tests.helpers import git, init_repo

ROOT = Path(__file__).resolve().parents[2]
EDITOR_LINE = "# yaml-language-server: $schema="


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


def test_new_names_the_committed_schema_for_editors(registry: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (registry / "schema").mkdir()
    shutil.copy(ROOT / SCHEMA_FILE, registry / SCHEMA_FILE)
    assert main(["new", "my-model", "--account", "acct-a", "--endpoint-type", "STREAMING",
                 "--gpu-type", "nvidia-tesla-t4", "--root", str(registry)]) == 0
    assert capsys.readouterr().err == ""
    written = registry / "templates/team-a/my-model.yaml"
    text = written.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first == f"{EDITOR_LINE}../../schema/model-template.schema.json"
    # What an editor does: resolve the path from the file's folder, check the data with it.
    schema_file = (written.parent / first.removeprefix(EDITOR_LINE)).resolve()
    assert schema_file == (registry / SCHEMA_FILE).resolve()
    data = yaml.safe_load(text)
    jsonschema.Draft202012Validator(json.loads(schema_file.read_text())).validate(data)
    # The comment changes nothing: the data round-trips through the model, and validates.
    assert ModelTemplateRequest.model_validate(data).model_dump(exclude_none=True) == data
    assert main(["validate", "--root", str(registry)]) == 0
    assert capsys.readouterr().out == "1 file(s) checked: no problems found.\n"


def test_new_writes_a_configured_schema_url(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    url = ("https://raw.githubusercontent.com/acme/model-template-registry/v0.1.0/"
           "schema/model-template.schema.json")
    (tmp_path / "pyproject.toml").write_text(f'[tool.template-registry]\nschema = "{url}"\n')
    assert main(["new", "m", "--account", "acct-a", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""
    text = (tmp_path / "templates/acct-a/m.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[:2] == [
        f"{EDITOR_LINE}{url}",
        "# m: created by `template-registry new`; edit, then run `template-registry validate`."]


def test_new_without_the_schema_file_says_how_to_write_it(
        registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "m", "--account", "acct-b", "--root", str(registry)]) == 0
    assert capsys.readouterr().err == (
        "note: schema/model-template.schema.json does not exist yet; write it with "
        "`template-registry schema > schema/model-template.schema.json`, or set schema to the "
        "schema's URL in [tool.template-registry]\n")
    text = (registry / "templates/team-b/m.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"{EDITOR_LINE}../../schema/model-template.schema.json"


def test_a_configured_schema_path_is_relative_to_the_root(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.template-registry]\n'
                                             'schema = "tools/template.schema.json"\n')
    (tmp_path / "tools").mkdir()
    shutil.copy(ROOT / SCHEMA_FILE, tmp_path / "tools/template.schema.json")
    assert main(["new", "m", "--account", "acct-a", "--root", str(tmp_path),
                 "-o", str(tmp_path / "templates/a/b/c.yaml")]) == 0
    assert capsys.readouterr().err == ""
    text = (tmp_path / "templates/a/b/c.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"{EDITOR_LINE}../../../tools/template.schema.json"


@pytest.mark.parametrize("value", ['"https://x.test/s.json\\nname: evil"', '""', "1",
                                   '"a b.json"', '"s\\u202e.json"'])
def test_a_schema_setting_that_would_break_the_line_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.template-registry]\nschema = {value}\n")
    assert main(["new", "m", "--account", "acct-a", "--root", str(tmp_path)]) == 2
    assert "schema must be the schema's URL or its path in the repository: a string without " \
        "spaces or control characters" in capsys.readouterr().err
    assert not (tmp_path / "templates").exists()


def test_no_editor_line_when_the_path_has_spaces(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "my registry"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.template-registry]\n")
    target = tmp_path / "elsewhere/m.yaml"
    assert main(["new", "m", "--account", "acct-a", "--root", str(root), "-o", str(target)]) == 0
    assert capsys.readouterr().err == (
        "note: no editor schema line: the path ../my registry/schema/model-template.schema.json "
        "has spaces or control characters\n")
    assert target.read_text(encoding="utf-8").startswith("# m: created by `template-registry new`")
