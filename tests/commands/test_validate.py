"""`template-registry validate` end to end: files on disk, exit codes, formats, PATHS mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registry.cli import main
from tests.helpers import BASE, edit, named

ROOT = Path(__file__).resolve().parents[2]


def make_registry(root: Path, files: dict[str, str], config: str = "") -> Path:
    (root / "pyproject.toml").write_text(f"[tool.template-registry]\n{config}")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["validate", *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_examples_in_this_repo_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--root", str(ROOT))
    assert code == 0
    # Six templates and the two environments' patches (overlays/).
    assert out == ["8 file(s) checked: no problems found."]


def test_text_format_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {"templates/a.yaml": edit(BASE, "endpoint_type: SYNC",
                                                      "endpoint_type: sync")})
    code, out, _ = run(capsys, "--root", str(tmp_path))
    assert code == 1
    assert out[0].startswith("templates/a.yaml:3:16: error schema: endpoint_type: 'sync' is not")
    assert out[-1] == "1 file(s) checked: 1 error(s), 0 warning(s)."


def test_warnings_only_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {"templates/a.yaml": edit(BASE, 'tag: "1.0.0"', "tag: latest")})
    code, out, _ = run(capsys, "--root", str(tmp_path))
    assert code == 0
    assert out[0].startswith("templates/a.yaml:10:10: warning image-tag: tag 'latest' moves")


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {"templates/a.yaml": edit(BASE, "memory: 4Gi", "memory: 24GB")})
    code, out, _ = run(capsys, "--root", str(tmp_path), "--format", "json")
    assert code == 1
    assert json.loads("\n".join(out)) == {"files": 1, "findings": [{
        "path": "templates/a.yaml", "line": 16, "column": 13, "severity": "error",
        "rule": "launch-resources",
        "message": "memory '24GB' is not a quantity Launch accepts; did you mean '24Gi'?"}]}


def test_github_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {"templates/a.yaml": edit(BASE, "memory: 4Gi", "memory: 24GB")})
    code, out, _ = run(capsys, "--root", str(tmp_path), "--format", "github")
    assert code == 1
    assert out[0] == ("::error file=templates/a.yaml,line=16,col=13,title=launch-resources::"
                      "memory '24GB' is not a quantity Launch accepts; did you mean '24Gi'?")


def test_duplicate_names_report_both_files(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {"templates/a.yaml": named("model-x"),
                             "templates/sub/b.yaml": named("model-x"),
                             "templates/c.yaml": named("model-x", "acct-other")})
    code, out, _ = run(capsys, "--root", str(tmp_path))
    assert code == 1
    assert out[:2] == [
        "templates/a.yaml:1:7: error unique-name: template name 'model-x' in account "
        "'acct-test' is also defined in templates/sub/b.yaml:1; names must be unique in an "
        "account",
        "templates/sub/b.yaml:1:7: error unique-name: template name 'model-x' in account "
        "'acct-test' is also defined in templates/a.yaml:1; names must be unique in an account",
    ]
    assert len(out) == 3


def test_names_equal_but_for_case_and_spaces(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {"templates/a.yaml": named("Model-X"),
                             "templates/b.yaml": named('" model-x "')})
    code, out, _ = run(capsys, "--root", str(tmp_path))
    assert code == 1
    assert [line.split(": error ")[0] for line in out[:2]] == ["templates/a.yaml:1:7",
                                                              "templates/b.yaml:1:7"]
    assert "differs only in case or spaces" in out[0]


def test_paths_mode_reports_given_files_but_sees_all(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    make_registry(tmp_path, {"templates/a.yaml": named("same"),
                             "templates/b.yaml": named("same"),
                             "templates/bad.yaml": "- not a mapping\n"})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "templates/a.yaml")
    assert code == 1
    assert out == [
        "templates/a.yaml:1:7: error unique-name: template name 'same' in account 'acct-test' "
        "is also defined in templates/b.yaml:1; names must be unique in an account",
        "1 file(s) checked: 1 error(s), 0 warning(s).",
    ]


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {"templates/a.yaml": BASE})
    code, _, err = run(capsys, "--root", str(tmp_path), str(tmp_path / "templates/nope.yaml"))
    assert code == 2
    assert "no such file" in err


def test_bad_configuration_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {"templates/a.yaml": BASE}, config="templatez = 'x'\n")
    code, _, err = run(capsys, "--root", str(tmp_path))
    assert code == 2
    assert "unknown key(s) templatez" in err


def test_unknown_option_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--colour")
    assert code == 2
    assert "No such option" in err


def test_accounts_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = '[tool.template-registry.accounts]\n"acct-test" = ["templates/search/**"]\n'
    make_registry(tmp_path, {"templates/search/ok.yaml": named("ok"),
                             "templates/genai/outside.yaml": named("outside"),
                             "templates/search/stranger.yaml": named("s", "acct-unlisted")},
                  config=config)
    code, out, _ = run(capsys, "--root", str(tmp_path))
    assert code == 1
    assert out[0].startswith("templates/genai/outside.yaml:2:13: error account-path: templates "
                             "of account 'acct-test' must live under templates/search/**")
    assert out[1].startswith("templates/search/stranger.yaml:2:13: error account-unknown: "
                             "account 'acct-unlisted' is not in [tool.template-registry.accounts]")
    assert len(out) == 3


def test_every_bad_input_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One registry holding each bad input of the issue: one finding each, no traceback."""
    files = {
        "templates/empty.yaml": "",
        "templates/comment.yaml": "# nothing here\n",
        "templates/list.yaml": "- a\n",
        "templates/tabs.yaml": edit(BASE, "    image: server", "\timage: server"),
        "templates/quote.yaml": edit(BASE, 'tag: "1.0.0"', 'tag: "1.0.0'),
        "templates/dupkey.yaml": BASE + "name: again\n",
        "templates/case.yaml": named("case").replace("endpoint_type: SYNC", "endpoint_type: sync"),
        "templates/typo.yaml": named("typo").replace("vendor_configuration:",
                                                     "vendor_configuraton:"),
        "templates/big.yaml": "a: " + "x" * (5 * 1024 * 1024) + "\n",
    }
    make_registry(tmp_path, files)
    (tmp_path / "templates/random.yaml").write_bytes(bytes(range(256)) * 16)
    code, out, err = run(capsys, "--root", str(tmp_path))
    assert code == 1
    assert err == ""
    by_file = {line.split(":")[0] for line in out[:-1]}
    assert by_file == {f"templates/{n}.yaml" for n in (
        "empty", "comment", "list", "tabs", "quote", "dupkey", "case", "typo", "big", "random")}
    assert out[-1] == "10 file(s) checked: 10 error(s), 0 warning(s)."


def test_cache_never_hides_a_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Same size, mtime set back: ctime and the racy-clean rule still force a re-read."""
    path = tmp_path / "templates/a.yaml"
    make_registry(tmp_path, {"templates/a.yaml": BASE})
    assert run(capsys, "--root", str(tmp_path))[0] == 0
    assert run(capsys, "--root", str(tmp_path))[0] == 0  # from the cache
    stat = path.stat()
    path.write_text(BASE.replace("cpus: 2", "cpus: 9"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    code, out, _ = run(capsys, "--root", str(tmp_path))
    assert code == 1
    assert out[0].startswith("templates/a.yaml:15:11: error launch-resources: cpus 9")


def test_no_cache_flag_and_cache_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_registry(tmp_path, {f"templates/t{i}.yaml": named(f"m{i % 3}") for i in range(6)})
    first = run(capsys, "--root", str(tmp_path))
    cached = run(capsys, "--root", str(tmp_path))
    fresh = run(capsys, "--root", str(tmp_path), "--no-cache")
    assert first == cached == fresh
    assert first[0] == 1


def test_parallel_checking_matches_serial(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"templates/t{i:03d}.yaml": named(f"m{i}") for i in range(30)}
    files["templates/t007.yaml"] = files["templates/t007.yaml"].replace("cpus: 2", "cpus: 0")
    make_registry(tmp_path, files)
    serial = run(capsys, "--root", str(tmp_path), "--no-cache")
    from registry import validation as validate_mod

    monkeypatch.setattr(validate_mod, "PARALLEL_THRESHOLD", 2)
    parallel = run(capsys, "--root", str(tmp_path), "--no-cache")
    assert serial == parallel
    assert serial[1][0].startswith("templates/t007.yaml:15:11: error launch-resources")


def test_python_dash_m_and_no_heavy_imports(tmp_path: Path) -> None:
    """The hook's command line imports neither the API's nor git's libraries, nor click
    (registry.fastpath reads it)."""
    make_registry(tmp_path, {"templates/a.yaml": BASE})
    probe = ("import sys; from registry.cli import main; code = main(['validate', '--root', "
             f"{str(tmp_path)!r}]); heavy = sorted(m for m in ('httpx', 'fastapi', 'uvicorn', "
             "'git', 'rich', 'starlette', 'click') if m in sys.modules); print(code, heavy)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines()[-1] == "0 []"
    done = subprocess.run([sys.executable, "-m", "registry", "validate", "--root", str(tmp_path)],
                          capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "1 file(s) checked: no problems found.\n")


def test_warm_run_imports_no_rules_and_no_pydantic(tmp_path: Path) -> None:
    """From the second run on, unchanged files come from the cache: no rule code is loaded.
    The first run checks both files with every rule, and still imports no pydantic."""
    make_registry(tmp_path, {"templates/a.yaml": BASE, "templates/b.yaml": named("b")})
    old = time.time() - 10
    for path in (tmp_path / "templates").iterdir():
        os.utime(path, (old, old))  # past the racy-clean window, as files in a real repo are
    probe = ("import sys; from registry.cli import main; code = main(['validate', '--root', "
             f"{str(tmp_path)!r}, {str(tmp_path / 'templates/a.yaml')!r}]); "
             "print(code, 'pydantic' in sys.modules, 'registry.checks' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True).stdout.splitlines()[-1] for _ in range(2)]
    assert runs == ["0 False True", "0 False False"]


# What the model's pydantic would bring in; `validate` checks files without any of it.
MODEL_MODULES = ("pydantic", "pydantic_core", "annotated_types", "typing_inspection",
                 "registry.model")


def test_the_hook_on_an_edited_file_imports_no_pydantic(tmp_path: Path) -> None:
    """The pre-commit hook's real case: a full run filled the cache, then one template is
    edited and passed alone. Every rule runs on it (uniqueness against every file), its
    findings are the model's, and neither pydantic nor the model module is imported, nor
    any by importing every rule module."""
    make_registry(tmp_path, {f"templates/t{i}.yaml": named(f"m{i}") for i in range(3)})
    old = time.time() - 10
    for path in (tmp_path / "templates").iterdir():
        os.utime(path, (old, old))
    edited = tmp_path / "templates" / "t1.yaml"
    probe = ("import importlib, pkgutil, sys, validators; from registry.cli import main; "
             f"code = main(['validate', '--root', {str(tmp_path)!r}, {str(edited)!r}]); "
             "[importlib.import_module(f'validators.{m.name}') "
             "for m in pkgutil.iter_modules(validators.__path__)]; "
             f"print(code, 'registry.checks' in sys.modules, sorted(m for m in sys.modules "
             f"if m.split('.')[0] in {MODEL_MODULES!r} or m in {MODEL_MODULES!r}))")

    def hook() -> list[str]:
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              check=True).stdout.splitlines()

    assert subprocess.run([sys.executable, "-m", "registry", "validate", "--root",
                           str(tmp_path)], capture_output=True).returncode == 0
    edited.write_text(edit(named("m1"), "storage: 10Gi", "storage: 11Gi"))
    assert hook() == ["1 file(s) checked: no problems found.", "0 True []"]
    edited.write_text(edit(named("m0"), "cpus: 2", 'cpus: "2"'))
    assert hook() == [
        "templates/t1.yaml:1:7: error unique-name: template name 'm0' in account "
        "'acct-test' is also defined in templates/t0.yaml:1; names must be unique in an "
        "account",
        "templates/t1.yaml:15:11: error schema: vendor_configuration.endpoint_config.cpus: "
        "expected an integer, got a string ('2'); write it without quotes",
        "1 file(s) checked: 2 error(s), 0 warning(s).", "1 True []"]


@pytest.mark.parametrize("fmt", ["sarif", "codeclimate"])
def test_ci_formats_end_to_end_and_import_light(tmp_path: Path, fmt: str) -> None:
    """The real CLI writes the document alone on stdout; rendering it imports no pydantic,
    httpx, git or plan module (a warm run imports neither the rules nor pydantic)."""
    make_registry(tmp_path, {"templates/a.yaml": edit(BASE, 'tag: "1.0.0"', "tag: latest"),
                             "templates/b.yaml": edit(named("b"), "memory: 4Gi", "memory: 24GB")})
    old = time.time() - 10
    for path in (tmp_path / "templates").iterdir():
        os.utime(path, (old, old))
    probe = ("import sys; from registry.cli import main; code = main(['validate', '--root', "
             f"{str(tmp_path)!r}, '--format', {fmt!r}]); print(code, sorted(m for m in ("
             "'pydantic', 'registry.checks', 'httpx', 'git', 'registry.plan', 'fastapi') "
             "if m in sys.modules))")
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)]
    assert runs[0].splitlines()[-1] == "1 ['registry.checks']"
    assert runs[1].splitlines()[-1] == "1 []"
    done = subprocess.run([sys.executable, "-m", "registry", "validate", "--root", str(tmp_path),
                           "--format", fmt], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout == "\n".join(runs[1].splitlines()[:-1]) + "\n"
    document = json.loads(done.stdout)
    if fmt == "sarif":
        found = [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                  r["locations"][0]["physicalLocation"]["region"], r["ruleId"], r["level"])
                 for r in document["runs"][0]["results"]]
        assert found == [
            ("templates/a.yaml", {"startLine": 10, "startColumn": 10}, "image-tag", "warning"),
            ("templates/b.yaml", {"startLine": 16, "startColumn": 13}, "launch-resources",
             "error")]
    else:
        assert [(i["location"], i["check_name"], i["severity"]) for i in document] == [
            ({"path": "templates/a.yaml", "lines": {"begin": 10}}, "image-tag", "minor"),
            ({"path": "templates/b.yaml", "lines": {"begin": 16}}, "launch-resources", "major")]
