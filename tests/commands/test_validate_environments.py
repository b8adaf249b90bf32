"""`validate` with environments, end to end: each environment's rendering of each template
checked, findings at the file a value came from and printed once; PATHS, the cache, the
registry root found from the files; and `diff --env A --env B`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import registry.rendering
from registry.cli import main
from tests.helpers import BASE, edit, git, init_repo, named

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = """
[tool.template-registry.environments.staging]
accounts = {"acct-a" = "acct-staging", "acct-b" = "acct-staging"}
overlay = "overlays/staging"

[tool.template-registry.environments.production]
accounts = {"acct-a" = "acct-a-prod", "acct-b" = "acct-b-prod"}
overlay = "overlays/production"
"""
MORE_MEMORY = """\
# production: more memory
vendor_configuration:
  endpoint_config:
    memory: 24GB
"""
BAD_MEMORY = ("memory '24GB' is not a quantity Launch accepts; did you mean '24Gi'?")


def make_registry(root: Path, files: dict[str, str], config: str = ENVIRONMENTS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[tool.template-registry]\n{config}")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def two_templates(**more: str) -> dict[str, str]:
    return {"templates/acct-a/x.yaml": named("x", "acct-a"),
            "templates/acct-b/y.yaml": named("y", "acct-b"), **more}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["validate", *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_a_bad_value_in_a_patch_is_reported_at_the_patch_in_its_environment_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, two_templates(**{"overlays/production/acct-b/y.yaml": MORE_MEMORY}))
    assert run(capsys, "--root", str(tmp_path)) == (1, [
        f"overlays/production/acct-b/y.yaml:4:13: error launch-resources: {BAD_MEMORY} "
        "(in production)",
        "3 file(s) checked: 1 error(s), 0 warning(s).",
    ], "")


def test_a_base_error_is_reported_once_naming_the_environments_it_occurs_in(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, two_templates(**{
        "templates/acct-b/y.yaml": edit(named("y", "acct-b"), "memory: 4Gi", "memory: 24GB")}))
    line = f"templates/acct-b/y.yaml:16:13: error launch-resources: {BAD_MEMORY}"
    assert run(capsys, "--root", str(tmp_path)) == (1, [
        f"{line} (in staging, production)", "2 file(s) checked: 1 error(s), 0 warning(s)."], "")
    # Production's patch sets the value: the base's error is staging's alone.
    fixed = tmp_path / "overlays/production/acct-b/y.yaml"
    fixed.parent.mkdir(parents=True)
    fixed.write_text("vendor_configuration:\n  endpoint_config:\n    memory: 24Gi\n")
    assert run(capsys, "--root", str(tmp_path))[1] == [
        f"{line} (in staging)", "3 file(s) checked: 1 error(s), 0 warning(s)."]


def test_every_format_names_the_environments(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, two_templates(**{
        "templates/acct-b/y.yaml": edit(named("y", "acct-b"), "memory: 4Gi", "memory: 24GB")}))
    root = str(tmp_path)
    _, out, _ = run(capsys, "--root", root, "--format", "json")
    assert json.loads("\n".join(out)) == {"files": 2, "findings": [{
        "path": "templates/acct-b/y.yaml", "line": 16, "column": 13, "severity": "error",
        "rule": "launch-resources", "message": BAD_MEMORY,
        "environments": ["staging", "production"]}]}
    _, out, _ = run(capsys, "--root", root, "--format", "github")
    assert out[0] == ("::error file=templates/acct-b/y.yaml,line=16,col=13,"
                      f"title=launch-resources::{BAD_MEMORY} (in staging, production)")
    _, out, _ = run(capsys, "--root", root, "--format", "sarif")
    (result,) = json.loads("\n".join(out))["runs"][0]["results"]
    assert result["message"] == {"text": f"{BAD_MEMORY} (in staging, production)"}
    assert result["properties"] == {"environments": ["staging", "production"]}
    _, out, _ = run(capsys, "--root", root, "--format", "codeclimate")
    (issue,) = json.loads("\n".join(out))
    assert issue["description"] == f"{BAD_MEMORY} (in staging, production)"


def test_the_plain_base_is_not_validated_on_its_own(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Deployed nowhere by itself: a base that both environments complete is fine."""
    incomplete = edit(named("y", "acct-b"), "    cpus: 2\n", "    cpus: 2\n    gpus: 1\n")
    gpu = "vendor_configuration:\n  endpoint_config:\n    gpu_type: nvidia-tesla-t4\n"
    make_registry(tmp_path, two_templates(**{
        "templates/acct-b/y.yaml": incomplete, "overlays/staging/acct-b/y.yaml": gpu,
        "overlays/production/acct-b/y.yaml": gpu.replace("tesla-t4", "ampere-a10")}))
    assert run(capsys, "--root", str(tmp_path)) == (
        0, ["4 file(s) checked: no problems found."], "")
    (tmp_path / "overlays/staging/acct-b/y.yaml").unlink()
    assert run(capsys, "--root", str(tmp_path))[1] == [
        "templates/acct-b/y.yaml:16:5: error launch-resources: gpus is 1 but no gpu_type is "
        "set; Launch needs the GPU type, e.g. nvidia-tesla-t4 or nvidia-hopper-h100 "
        "(in staging)",
        "3 file(s) checked: 1 error(s), 0 warning(s)."]


def test_names_must_be_unique_in_the_mapped_accounts(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """acct-a and acct-b are one account in staging: the same name clashes there only."""
    make_registry(tmp_path, {"templates/acct-a/x.yaml": named("x", "acct-a"),
                             "templates/acct-b/x.yaml": named("X", "acct-b")})
    assert run(capsys, "--root", str(tmp_path))[1] == [
        "templates/acct-a/x.yaml:1:7: error unique-name: template name 'x' in account "
        "'acct-staging' differs only in case or spaces from the one in "
        "templates/acct-b/x.yaml:1; names must be unique in an account (in staging)",
        "templates/acct-b/x.yaml:1:7: error unique-name: template name 'X' in account "
        "'acct-staging' differs only in case or spaces from the one in "
        "templates/acct-a/x.yaml:1; names must be unique in an account (in staging)",
        "2 file(s) checked: 2 error(s), 0 warning(s).",
    ]


def test_the_environment_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, two_templates(**{
        "templates/acct-c/z.yaml": named("z", "acct-c"),
        "overlays/staging/acct-a/gone.yaml": "vendor_configuration: {}\n",
        "overlays/staging/acct-a/x.yaml": "- min_workers: 0\n",
        "overlays/production/acct-a/x.yaml": "# the same name everywhere\nname: x-prod\n",
        "overlays/production/acct-b/y.yaml": "account_id: null\n"}))
    assert run(capsys, "--root", str(tmp_path))[1] == [
        "overlays/production/acct-a/x.yaml:2:1: error environment: the patch sets name; a "
        "patch must not change which template it is (change it in the template file) "
        "(in production)",
        "overlays/production/acct-b/y.yaml:1:1: error environment: the patch removes "
        "account_id; a patch must not change which template it is (map accounts in the "
        "environment's `accounts` instead) (in production)",
        "overlays/staging/acct-a/gone.yaml:1:1: error environment: this patch is for "
        "templates/acct-a/gone.yaml, which does not exist: a patch applies to the template at "
        "the same path under the templates folder (in staging)",
        "overlays/staging/acct-a/x.yaml:1:1: error environment: the patch is a list; a patch "
        "is a mapping of the fields it changes (a JSON merge patch, RFC 7386: `null` removes "
        "a field) (in staging)",
        "templates/acct-c/z.yaml:2:13: error environment: account 'acct-c' is not in this "
        "environment's `accounts` mapping, so the template would go to account 'acct-c' "
        "there; map it (in staging, production)",
        "7 file(s) checked: 5 error(s), 0 warning(s).",
    ]


def test_folder_ownership_applies_once_to_the_base_files(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    accounts = '[tool.template-registry.accounts]\n"acct-a" = ["templates/acct-a/**"]\n'
    make_registry(tmp_path, two_templates(), ENVIRONMENTS + accounts)
    assert run(capsys, "--root", str(tmp_path))[1] == [
        "templates/acct-b/y.yaml:2:13: error account-unknown: account 'acct-b' is not in "
        "[tool.template-registry.accounts] (known: acct-a)",
        "2 file(s) checked: 1 error(s), 0 warning(s)."]


def test_yaml_traps_of_a_patch_are_the_patchs(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, two_templates(**{
        "overlays/production/acct-a/x.yaml": "vendor_configuration:\n  bundle_config:\n"
                                             "    tag: 1.10\n    tag: 1.10\n"}))
    assert run(capsys, "--root", str(tmp_path))[1] == [
        "overlays/production/acct-a/x.yaml:4:5: error yaml-duplicate-key: duplicate key "
        "'tag' (first at line 3); YAML keeps only the last one silently (in production)",
        "overlays/production/acct-a/x.yaml:4:10: error yaml-implicit-type: "
        "vendor_configuration.bundle_config.tag: 1.10 is read by YAML as a float, not a "
        'string; quote it: "1.10" (in production)',
        "3 file(s) checked: 2 error(s), 0 warning(s)."]
    (tmp_path / "overlays/production/acct-a/x.yaml").write_text(
        "vendor_configuration:\n  bundle_config:\n    tag: 1.10\n")
    assert run(capsys, "--root", str(tmp_path))[1] == [
        "overlays/production/acct-a/x.yaml:3:10: error yaml-implicit-type: "
        "vendor_configuration.bundle_config.tag: 1.10 is read by YAML as a float, not a "
        'string; quote it: "1.10" (in production)',
        "3 file(s) checked: 1 error(s), 0 warning(s)."]


def test_inline_ignores_in_templates_and_patches(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A base's ignore counts if it silences a finding in any environment; one that
    silences nothing is reported once; a patch's belongs to its environment."""
    staging_latest = "vendor_configuration:\n  bundle_config:\n    tag: latest\n"
    make_registry(tmp_path, two_templates(**{
        "templates/acct-a/x.yaml": edit(
            named("x", "acct-a"), "    tag: \"1.0.0\"\n",
            "    # template-registry: ignore[image-tag] staging follows the team's branch\n"
            "    tag: \"1.0.0\"\n"),
        "templates/acct-b/y.yaml": edit(named("y", "acct-b"), "cpus: 2",
                                        "cpus: 2  # template-registry: ignore[secret] stale"),
        "overlays/staging/acct-a/x.yaml": staging_latest,
        "overlays/production/acct-b/y.yaml": "# template-registry: ignore[secret] why\n"
                                             "model_type: GENERIC\n"}))
    assert run(capsys, "--root", str(tmp_path))[1] == [
        "overlays/production/acct-b/y.yaml:1:1: warning ignore-comment: ignore[secret] matches "
        "no finding on this line or the next; remove it (in production)",
        "overlays/staging/acct-a/x.yaml:3:10: warning image-tag: tag 'latest' moves: the image "
        "behind this template can change without a change in git; pin a version (e.g. "
        "'1.4.2') or a digest (in staging)",
        "templates/acct-a/x.yaml:10:5: warning ignore-comment: ignore[image-tag] matches no "
        "finding on this line or the next; remove it",
        "templates/acct-b/y.yaml:15:14: warning ignore-comment: ignore[secret] matches no "
        "finding on this line or the next; remove it",
        "4 file(s) checked: 0 error(s), 4 warning(s).",
    ]
    # An ignore in the patch, on the line it silences: used.
    (tmp_path / "overlays/staging/acct-a/x.yaml").write_text(
        staging_latest.replace("latest", "latest  # template-registry: ignore[image-tag] ok"))
    assert run(capsys, "--root", str(tmp_path))[1][:2] == [
        "overlays/production/acct-b/y.yaml:1:1: warning ignore-comment: ignore[secret] matches "
        "no finding on this line or the next; remove it (in production)",
        "templates/acct-a/x.yaml:10:5: warning ignore-comment: ignore[image-tag] matches no "
        "finding on this line or the next; remove it"]


def test_paths_mode_with_templates_and_patches(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    bad_base = edit(named("y", "acct-b"), 'tag: "1.0.0"', "tag: latest")
    make_registry(tmp_path, {
        "templates/acct-a/x.yaml": named("x", "acct-a"), "templates/acct-b/y.yaml": bad_base,
        "templates/acct-b/other.yaml": named("Y", "acct-a"),
        "overlays/production/acct-b/y.yaml": MORE_MEMORY,
        "overlays/staging/acct-b/y.yaml": "model_type: GENERIC\n",
        "overlays/staging/acct-b/gone.yaml": "model_type: GENERIC\n",
        "notes.yaml": "- not a template\n", "overlays/staging/README.md": "# patches\n"})
    monkeypatch.chdir(tmp_path)
    staging_clash = ("templates/acct-b/y.yaml:1:7: error unique-name: template name 'y' in "
                     "account 'acct-staging' differs only in case or spaces from the one in "
                     "templates/acct-b/other.yaml:1; names must be unique in an account "
                     "(in staging)")
    moving = ("templates/acct-b/y.yaml:10:10: warning image-tag: tag 'latest' moves: the "
              "image behind this template can change without a change in git; pin a version "
              "(e.g. '1.4.2') or a digest")
    patch_error = f"overlays/production/acct-b/y.yaml:4:13: error launch-resources: {BAD_MEMORY}"
    # A patch: its template's findings in its environment, wherever they stand.
    assert run(capsys, "overlays/production/acct-b/y.yaml") == (1, [
        f"{patch_error} (in production)", f"{moving} (in production)",
        "1 file(s) checked: 1 error(s), 1 warning(s)."], "")
    # A template: its findings in every environment (uniqueness sees every template).
    assert run(capsys, "templates/acct-b/y.yaml")[1] == [
        f"{patch_error} (in production)", staging_clash,
        f"{moving} (in staging, production)", "1 file(s) checked: 2 error(s), 1 warning(s)."]
    assert run(capsys, "overlays/staging/acct-b/gone.yaml")[1] == [
        "overlays/staging/acct-b/gone.yaml:1:1: error environment: this patch is for "
        "templates/acct-b/gone.yaml, which does not exist: a patch applies to the template at "
        "the same path under the templates folder (in staging)",
        "1 file(s) checked: 1 error(s), 0 warning(s)."]
    # The hook's mode: files that are neither templates nor patches are ignored...
    assert run(capsys, "--only-registry-files", "notes.yaml", "pyproject.toml",
               "overlays/staging/README.md") == (
        0, ["0 file(s) checked: no problems found."], "")
    assert run(capsys, "--only-registry-files", "notes.yaml",
               "overlays/staging/acct-b/y.yaml")[1] == [
        staging_clash, f"{moving} (in staging)", "1 file(s) checked: 1 error(s), 1 warning(s)."]
    # ...without it, any other file is checked as a template, as it always was.
    code, out, _ = run(capsys, "notes.yaml")
    assert (code, out[-1]) == (1, "1 file(s) checked: 1 error(s), 0 warning(s).")
    assert out[0].startswith("notes.yaml:1:1: error yaml-unsafe: the top level is a list")


class Counting:
    """Counts the renderings whose rules run (those not served by the cache)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[bytes | None, str]] = []
        real = registry.rendering.check_rendering

        def counted(base: bytes, patch: bytes | None, env: Any, settings: Any) -> Any:
            self.calls.append((patch, env.name))
            return real(base, patch, env, settings)

        monkeypatch.setattr(registry.rendering, "check_rendering", counted)


def age(root: Path) -> None:
    """Files of a real repository are older than the racy-clean window."""
    old = time.time() - 10
    for path in root.rglob("*.yaml"):
        os.utime(path, (old, old))


def test_the_cache_rechecks_only_what_changed(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    make_registry(tmp_path, two_templates(**{"overlays/production/acct-b/y.yaml": MORE_MEMORY}))
    age(tmp_path)
    counting = Counting(monkeypatch)
    first = run(capsys, "--root", str(tmp_path))
    assert len(counting.calls) == 4  # two templates in two environments
    assert run(capsys, "--root", str(tmp_path)) == first
    assert len(counting.calls) == 4
    fixed = MORE_MEMORY.replace("24GB", "24Gi")
    (tmp_path / "overlays/production/acct-b/y.yaml").write_text(fixed)
    assert run(capsys, "--root", str(tmp_path)) == (
        0, ["3 file(s) checked: no problems found."], "")
    assert counting.calls[4:] == [(fixed.encode(), "production")]
    # The mapping is part of the key: a changed mapping re-checks that environment.
    config = tmp_path / "pyproject.toml"
    config.write_text(config.read_text().replace('"acct-b" = "acct-b-prod"',
                                                 '"acct-b" = "acct-prod"'))
    run(capsys, "--root", str(tmp_path))
    assert sorted(name for _, name in counting.calls[5:]) == ["production", "production"]


def test_no_run_imports_pydantic_and_a_warm_one_no_rules(tmp_path: Path) -> None:
    make_registry(tmp_path, two_templates(**{"overlays/production/acct-b/y.yaml": MORE_MEMORY}))
    age(tmp_path)
    probe = ("import sys; from registry.cli import main; code = main(['validate', "
             f"{str(tmp_path / 'overlays/production/acct-b/y.yaml')!r}]); "
             "print(code, 'pydantic' in sys.modules, 'registry.checks' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True, cwd=tmp_path).stdout.splitlines() for _ in range(2)]
    assert runs[0][-1] == "1 False True"  # the first checks every rule, without pydantic
    assert runs[1] == [*runs[0][:-1], "1 False False"]


def test_no_cache_and_parallel_checking_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"templates/acct-a/t{i:02d}.yaml": named(f"m{i}", "acct-a") for i in range(12)}
    files["overlays/production/acct-a/t03.yaml"] = MORE_MEMORY
    make_registry(tmp_path, files)
    serial = run(capsys, "--root", str(tmp_path), "--no-cache")
    from registry import validation

    monkeypatch.setattr(validation, "PARALLEL_THRESHOLD", 2)
    assert run(capsys, "--root", str(tmp_path), "--no-cache") == serial
    assert run(capsys, "--root", str(tmp_path)) == serial
    assert serial[1][0] == (f"overlays/production/acct-a/t03.yaml:4:13: error launch-resources: "
                            f"{BAD_MEMORY} (in production)")


def test_a_file_that_cannot_be_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, two_templates())
    (tmp_path / "overlays/production/acct-a").mkdir(parents=True)
    (tmp_path / "overlays/production/acct-a/x.yaml").symlink_to(tmp_path / "nowhere.yaml")
    for _ in range(2):  # not cached
        assert run(capsys, "--root", str(tmp_path))[1] == [
            "overlays/production/acct-a/x.yaml:1:1: error yaml-unsafe: cannot read the file: "
            "No such file or directory (in production)",
            "3 file(s) checked: 1 error(s), 0 warning(s)."]


def test_an_overlay_inside_the_templates_folder_is_a_configuration_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = ENVIRONMENTS.replace('overlay = "overlays/staging"',
                                  'overlay = "templates/staging"')
    make_registry(tmp_path, two_templates(), config)
    code, _, err = run(capsys, "--root", str(tmp_path))
    assert (code, err) == (2, "template-registry: [tool.template-registry.environments.staging] "
                              "overlay 'templates/staging' and the templates folder 'templates' "
                              "must not contain one another: its patches would be read as "
                              "templates\n")


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "registry", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_registry_root_is_found_from_the_files(tmp_path: Path) -> None:
    """A registry in a subfolder of a repository, validated from the repository's top (as
    pre-commit runs hooks), with only the new file given: uniqueness still sees the rest."""
    repo = init_repo(tmp_path / "repo")
    (repo / "pyproject.toml").write_text("[project]\nname = 'not-a-registry'\n")
    registry_dir = make_registry(repo / "models", {"templates/a.yaml": named("Model-X")},
                                 config="")
    (registry_dir / "templates/b.yaml").write_text(named("model-x"))
    (repo / "ci.yaml").write_text("- not a template\n")
    done = cli(repo, "validate", "--only-registry-files", "models/templates/b.yaml", "ci.yaml")
    assert (done.returncode, done.stdout.splitlines(), done.stderr) == (1, [
        "templates/b.yaml:1:7: error unique-name: template name 'model-x' in account "
        "'acct-test' differs only in case or spaces from the one in templates/a.yaml:1; names "
        "must be unique in an account",
        "1 file(s) checked: 1 error(s), 0 warning(s)."], "")
    done = cli(repo, "validate", "models/templates/b.yaml", "ci.yaml")
    assert (done.returncode, done.stderr) == (
        2, f"template-registry: ci.yaml: outside the registry root {repo / 'models'}\n")
    # --root still decides when given; files of two registries are refused.
    other = make_registry(repo / "other", {"templates/c.yaml": BASE}, config="")
    done = cli(repo, "validate", "models/templates/b.yaml", "other/templates/c.yaml")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"template-registry: the files belong to several registries "
                           f"({repo / 'models'}, {other}); validate one at a time with --root\n")
    done = cli(repo, "validate", "--root", "other", "--only-registry-files",
               "models/templates/b.yaml", "other/templates/c.yaml")
    assert (done.returncode, done.stdout) == (0, "1 file(s) checked: no problems found.\n")


def test_files_in_no_registry_fall_back_on_the_current_folder(tmp_path: Path) -> None:
    registry_dir = init_repo(tmp_path / "repo")
    (registry_dir / "templates").mkdir()
    (registry_dir / "templates/a.yaml").write_text(named("a"))
    (registry_dir / "templates/b.yaml").write_text(named("a"))
    done = cli(registry_dir / "templates", "validate", "b.yaml")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(
        "templates/b.yaml:1:7: error unique-name: template name 'a'")


README_EXAMPLE = "templates/genai/batch-summarizer-async.yaml"


def readme_example(root: Path) -> Path:
    """This repository's templates with the README's environments and patches."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Environments\n", 1)[1].split("\n## ", 1)[0]
    shutil.copytree(ROOT / "templates", root / "templates")
    config = section.split("```toml\n", 1)[1].split("```\n", 1)[0]
    (root / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text().split("[tool.template-registry]", 1)[0]
        + "[tool.template-registry]\n" + config)
    for block in re.findall(r"```yaml\n(# (overlays/\S+):.*?)```\n", section, re.S):
        text, path = block
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def test_the_readme_example_validates_and_diffs_as_written(tmp_path: Path) -> None:
    root = readme_example(tmp_path)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("overlays/**/*.yaml")) == [
        "overlays/production/genai/batch-summarizer-async.yaml",
        "overlays/staging/genai/batch-summarizer-async.yaml"]
    done = cli(root, "validate")
    assert (done.returncode, done.stdout) == (0, "8 file(s) checked: no problems found.\n")
    done = cli(root, "diff", "--env", "staging", "--env", "production")
    readme = (ROOT / "README.md").read_text()
    shown = readme.split("$ template-registry diff --env staging --env production\n", 1)[1]
    assert done.stdout.startswith(shown.split("  ...\n", 1)[0])
    assert done.stdout.endswith(shown.split("  ...\n", 1)[1].split("```", 1)[0])


DIFF_FILES = {"templates/acct-a/x.yaml": named("x", "acct-a"),
              "templates/acct-b/y.yaml": named("y", "acct-b"),
              "templates/acct-b/broken.yaml": named("b", "acct-b"),
              "overlays/staging/acct-b/y.yaml": "vendor_configuration:\n  bundle_config:\n"
                                                "    env:\n      HF_TOKEN: hf_aBcDeFgHiJkLmNoPqRs"
                                                "TuVwXyZ0123456789\n",
              "overlays/production/acct-b/y.yaml": MORE_MEMORY,
              "overlays/production/acct-b/broken.yaml": "a: [\n"}
SAME_ACCOUNTS = ENVIRONMENTS.replace('"acct-a" = "acct-a-prod"', '"acct-a" = "acct-staging"')


def test_diff_in_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, DIFF_FILES, SAME_ACCOUNTS)
    args = ["diff", "--env", "staging", "--env", "production", "--root", str(tmp_path)]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Environments staging -> production, the working tree:",
        "  ~ templates/acct-b/y.yaml (acct-staging/y -> acct-b-prod/y)",
        '      account_id: "acct-staging" -> "acct-b-prod"',
        "      vendor_configuration.bundle_config.env.HF_TOKEN: [REDACTED] -> (absent)",
        '      vendor_configuration.endpoint_config.memory: "4Gi" -> "24GB"',
        "  - templates/acct-b/broken.yaml: only in staging (production cannot render it: run "
        "validate)",
        "1 template(s) differ, 1 the same, 1 only in staging, 0 only in production.",
    ]
    assert main([*args, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "left": "staging", "right": "production", "ref": None, "same": 1,
        "differ": [{"path": "templates/acct-b/y.yaml", "left": "acct-staging/y",
                    "right": "acct-b-prod/y", "changes": [
                        {"field": "account_id", "before": "acct-staging",
                         "after": "acct-b-prod"},
                        {"field": "vendor_configuration.bundle_config.env.HF_TOKEN",
                         "before": "[REDACTED]", "after": None},
                        {"field": "vendor_configuration.endpoint_config.memory",
                         "before": "4Gi", "after": "24GB"}]}],
        "only_left": ["templates/acct-b/broken.yaml"], "only_right": []}
    assert main([*args, "--format", "markdown"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "### Environments <code>staging</code> and <code>production</code>",
        "",
        "From the working tree: 1 template(s) differ, 1 the same, 1 only in "
        "<code>staging</code>, 0 only in <code>production</code>.",
        "",
        "#### <code>templates/acct-b/y.yaml</code>",
        "",
        "<code>staging</code>: <code>acct-staging/y</code>; <code>production</code>: "
        "<code>acct-b-prod/y</code>",
        "",
        "| field | <code>staging</code> | <code>production</code> |",
        "|---|---|---|",
        "| <code>account&#95;id</code> | <code>&#34;acct-staging&#34;</code> | "
        "<code>&#34;acct-b-prod&#34;</code> |",
        "| <code>vendor&#95;configuration.bundle&#95;config.env.HF&#95;TOKEN</code> | "
        "<code>&#91;REDACTED&#93;</code> | <code>&#40;absent&#41;</code> |",
        "| <code>vendor&#95;configuration.endpoint&#95;config.memory</code> | "
        "<code>&#34;4Gi&#34;</code> | <code>&#34;24GB&#34;</code> |",
        "",
        "Only in <code>staging</code> (<code>production</code> cannot render them: run "
        "validate):",
        "",
        "- <code>templates/acct-b/broken.yaml</code>",
    ]


def test_diff_of_a_commit_and_bad_usage(tmp_path: Path) -> None:
    repo = make_registry(init_repo(tmp_path / "repo"), DIFF_FILES, SAME_ACCOUNTS)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "environments")
    (repo / "overlays/production/acct-b/y.yaml").unlink()
    (repo / "overlays/staging/acct-b/y.yaml").unlink()
    now = cli(repo, "diff", "--env", "staging", "--env", "production")
    assert now.stdout.splitlines()[1:3] == [
        "  ~ templates/acct-b/y.yaml (acct-staging/y -> acct-b-prod/y)",
        '      account_id: "acct-staging" -> "acct-b-prod"']
    committed = cli(repo, "diff", "--env", "production", "--env", "staging", "--ref", "HEAD")
    assert committed.returncode == 0
    assert committed.stdout.splitlines()[:5] == [
        "Environments production -> staging, commit HEAD:",
        "  ~ templates/acct-b/y.yaml (acct-b-prod/y -> acct-staging/y)",
        '      account_id: "acct-b-prod" -> "acct-staging"',
        "      vendor_configuration.bundle_config.env.HF_TOKEN: (absent) -> [REDACTED]",
        '      vendor_configuration.endpoint_config.memory: "24GB" -> "4Gi"']
    for args, message in (
            (["--env", "staging"], "give two different environments: --env A --env B"),
            (["--env", "staging", "--env", "staging"],
             "give two different environments: --env A --env B"),
            (["--env", "staging", "--env", "prod"],
             "--env prod: no such environment in [tool.template-registry.environments] "
             "(known: production, staging)")):
        refused = cli(repo, "diff", *args)
        assert (refused.returncode, refused.stdout, refused.stderr) == (
            2, "", f"template-registry: {message}\n")
