"""Rule configuration end to end: severities, inline ignores and the Launch cluster, through
the real `validate` (with its cache) and `plan`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry import cli
from tests.helpers import BASE, edit, named

LATEST = edit(BASE, 'tag: "1.0.0"', "tag: latest")


def registry(root: Path, files: dict[str, str], config: str = "") -> Path:
    (root / "pyproject.toml").write_text("[tool.template-registry]\n" + config)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def findings(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[tuple[str, ...]]]:
    code = cli.main(["validate", "--root", str(root), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    return code, [(f["path"], str(f["line"]), f["severity"], f["rule"]) for f in data["findings"]]


def test_severities_from_the_configuration(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    files = {"templates/a.yaml": LATEST}
    assert findings(registry(tmp_path, files), capsys) == (
        0, [("templates/a.yaml", "10", "warning", "image-tag")])
    assert findings(registry(tmp_path, files, '[tool.template-registry.rules]\n'
                                              'image-tag = "error"\n'), capsys) == (
        1, [("templates/a.yaml", "10", "error", "image-tag")])
    assert findings(registry(tmp_path, files, '[tool.template-registry.rules]\n'
                                              'image-tag = "off"\n'), capsys) == (0, [])


def test_an_unknown_rule_in_the_configuration_is_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = registry(tmp_path, {"templates/a.yaml": BASE},
                    '[tool.template-registry.rules]\nimage-tagg = "off"\n')
    assert cli.main(["validate", "--root", str(root)]) == 2
    assert ("no rule 'image-tagg' (did you mean 'image-tag'?)"
            in capsys.readouterr().err)


def test_inline_ignores_above_and_on_the_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    above = edit(LATEST, "    tag: latest\n",
                 "    # template-registry: ignore[image-tag] the vendor publishes no versions\n"
                 "    tag: latest\n")
    trailing = edit(named("b"), "cpus: 2", "cpus: 0  # template-registry: ignore[launch-resources]")
    unused = edit(named("c"), "cpus: 2", "cpus: 2  # template-registry: ignore[secret] old")
    root = registry(tmp_path, {"templates/a.yaml": above, "templates/b.yaml": trailing,
                               "templates/c.yaml": unused})
    assert findings(root, capsys) == (0, [
        ("templates/b.yaml", "15", "warning", "ignore-comment"),
        ("templates/c.yaml", "15", "warning", "ignore-comment"),
    ])
    # From the cache, the same (the ignores are part of what is cached).
    assert findings(root, capsys)[1] == [
        ("templates/b.yaml", "15", "warning", "ignore-comment"),
        ("templates/c.yaml", "15", "warning", "ignore-comment")]
    cli.main(["validate", "--root", str(root)])
    out = capsys.readouterr().out
    assert ("templates/b.yaml:15:14: warning ignore-comment: ignore[launch-resources] gives no "
            "reason; say why after the bracket, so that review can judge it") in out
    assert ("templates/c.yaml:15:14: warning ignore-comment: ignore[secret] matches no finding "
            "on this line or the next; remove it") in out


def test_an_ignore_covers_a_registry_wide_finding_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moved = edit(named("b", "acct-a"), "account_id: acct-a",
                 "account_id: acct-a  # template-registry: ignore[account-path] moving in Q3")
    root = registry(tmp_path, {"templates/a/a.yaml": named("a", "acct-a"),
                               "templates/b/b.yaml": moved, "templates/b/c.yaml":
                               named("c", "acct-a")},
                    '[tool.template-registry.accounts]\n"acct-a" = ["templates/a/**"]\n')
    assert findings(root, capsys) == (1, [("templates/b/c.yaml", "2", "error", "account-path")])


def test_essential_rules_cannot_be_silenced(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    broken = '# template-registry: ignore[yaml-syntax] adopting as is\nname: "demo\n'
    root = registry(tmp_path, {"templates/a.yaml": broken})
    assert findings(root, capsys) == (1, [("templates/a.yaml", "1", "warning", "ignore-comment"),
                                          ("templates/a.yaml", "2", "error", "yaml-syntax")])
    off = registry(tmp_path, {"templates/a.yaml": BASE},
                   '[tool.template-registry.rules]\nschema = "warning"\n')
    assert cli.main(["validate", "--root", str(off)]) == 2
    assert ("schema cannot be 'warning': a template that breaks it cannot be loaded or pushed"
            in capsys.readouterr().err)


def test_the_launch_cluster_from_the_configuration(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zero = edit(BASE, "min_workers: 1", "min_workers: 0")
    files = {"templates/a.yaml": zero}
    assert findings(registry(tmp_path, files), capsys) == (
        1, [("templates/a.yaml", "18", "error", "launch-resources")])
    assert findings(registry(tmp_path, files, "[tool.template-registry.launch]\n"
                                              "scale_from_zero = true\n"), capsys) == (0, [])
    small = ("[tool.template-registry.launch.node_limits]\n"
             'cpu = {cpus = 2, memory = "8Gi"}\n')
    assert findings(registry(tmp_path, {"templates/a.yaml": BASE}, small), capsys) == (
        1, [("templates/a.yaml", "15", "error", "launch-resources")])
