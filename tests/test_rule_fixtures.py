"""Every rule's fixture cases under tests/rules/, run through the real `validate`.

tests/rules/<rule-id>/pass/ and tests/rules/<rule-id>/fail/ hold the cases of one rule of
the catalogue (registry.rules). A case is either

- a template file NAME.yaml, validated alone as templates/NAME.yaml of a registry whose
  pyproject.toml has an empty [tool.template-registry] table, or
- a folder NAME/ that is a whole registry root: its own pyproject.toml (accounts, rule
  severities, a launch table) and templates/.

Its findings are in NAME.expected (NAME/expected.txt for a folder), one a line as
`PATH:LINE:COL SEVERITY RULE` (PATH from the registry root), in validate's order. A pass
case has no expected file (or an empty one) and must produce no finding at all; a fail
case must produce exactly its expected findings, at least one of them of its folder's
rule, so that a fixture cannot hide an unexpected extra finding.

One case is made here instead of committed: yaml-unsafe/fail/over-1mib, a file over
1 MiB (see GENERATED); its expected file is committed with the others. The bytes that are
not UTF-8 (yaml-unsafe/fail/not-utf8.yaml) are small and committed as they are.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from registry.cli import main
from registry.files import MAX_BYTES
from registry.rules import BY_ID, RULES

FIXTURES = Path(__file__).resolve().parent / "rules"
KINDS = ("pass", "fail")
TEMPLATE_SUFFIX = ".yaml"
EXPECTED_SUFFIX = ".expected"
EXPECTED_IN_FOLDER = "expected.txt"
EMPTY_CONFIG = "[tool.template-registry]\n"
EXPECTED_LINE = re.compile(
    r"(?P<path>\S+):(?P<line>[1-9][0-9]*):(?P<column>[1-9][0-9]*) "
    r"(?P<severity>error|warning) (?P<rule>[a-z0-9-]+)")


def _over_1mib() -> bytes:
    """A template file one line past the 1 MiB limit: too large to commit."""
    return b"# a file over 1 MiB is refused unread\nname: " + b"x" * MAX_BYTES + b"\n"


# (rule, kind, name) -> the bytes of templates/NAME.yaml, for cases not committed.
GENERATED: dict[tuple[str, str, str], Callable[[], bytes]] = {
    ("yaml-unsafe", "fail", "over-1mib"): _over_1mib,
}


@dataclass(frozen=True)
class Case:
    """One fixture: a template file, a registry folder, or a generated template."""

    rule: str
    kind: str
    name: str
    source: Path | None  # NAME.yaml or the NAME/ folder; None for a generated case
    expected_file: Path | None

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.kind}/{self.name}"


def discover(root: Path = FIXTURES) -> tuple[list[Case], list[str]]:
    """(every case under ROOT, the entries that are not part of a case)."""
    cases: list[Case] = []
    strays: list[str] = []
    for rule_dir in sorted(root.iterdir()) if root.is_dir() else []:
        if not rule_dir.is_dir():
            strays.append(f"{rule_dir.name}: not a rule folder")
            continue
        for kind_dir in sorted(rule_dir.iterdir()):
            if kind_dir.name not in KINDS or not kind_dir.is_dir():
                strays.append(f"{rule_dir.name}/{kind_dir.name}: not a pass/ or fail/ folder")
                continue
            found, odd = _cases_in(rule_dir.name, kind_dir.name, kind_dir)
            cases += found
            strays += odd
    return cases, strays


def _cases_in(rule: str, kind: str, folder: Path) -> tuple[list[Case], list[str]]:
    cases: list[Case] = []
    strays: list[str] = []
    for entry in sorted(folder.iterdir()):
        where = f"{rule}/{kind}/{entry.name}"
        if entry.is_dir():
            if not (entry / "pyproject.toml").is_file():
                strays.append(f"{where}: a registry case needs its pyproject.toml")
            expected = entry / EXPECTED_IN_FOLDER
            cases.append(Case(rule, kind, entry.name, entry,
                              expected if expected.is_file() else None))
        elif entry.suffix == TEMPLATE_SUFFIX:
            expected = entry.with_suffix(EXPECTED_SUFFIX)
            cases.append(Case(rule, kind, entry.stem, entry,
                              expected if expected.is_file() else None))
        elif entry.suffix == EXPECTED_SUFFIX:
            if (rule, kind, entry.stem) in GENERATED:
                cases.append(Case(rule, kind, entry.stem, None, entry))
            elif not entry.with_suffix(TEMPLATE_SUFFIX).is_file():
                strays.append(f"{where}: no {entry.stem}{TEMPLATE_SUFFIX} beside it")
        else:
            strays.append(f"{where}: neither NAME.yaml, NAME.expected nor a registry folder")
    return cases, strays


def expected_findings(case: Case) -> list[str]:
    """The case's expected finding lines; a line that is not a finding fails the test."""
    if case.expected_file is None:
        return []
    lines = [line.strip() for line in case.expected_file.read_text().splitlines()]
    for number, line in enumerate(lines, start=1):
        assert line and EXPECTED_LINE.fullmatch(line), (
            f"{case.expected_file}:{number}: {line!r} is not `PATH:LINE:COL SEVERITY RULE`")
    return lines


def materialise(case: Case, root: Path) -> Path:
    """The case as a registry at ROOT (a fresh folder), ready for `validate --root`."""
    if case.source is not None and case.source.is_dir():
        shutil.copytree(case.source, root, ignore=lambda folder, names: (
            [EXPECTED_IN_FOLDER] if Path(folder) == case.source else []))
        return root
    raw = case.source.read_bytes() if case.source is not None \
        else GENERATED[(case.rule, case.kind, case.name)]()
    (root / "templates").mkdir(parents=True)
    (root / "pyproject.toml").write_text(EMPTY_CONFIG)
    (root / "templates" / f"{case.name}{TEMPLATE_SUFFIX}").write_bytes(raw)
    return root


def validate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """(exit code, findings as expected lines, stderr) of `validate --format json` at ROOT."""
    code = main(["validate", "--root", str(root), "--format", "json"])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err  # 2 would be a broken case (its configuration)
    report = json.loads(captured.out)
    lines = [f"{f['path']}:{f['line']}:{f['column']} {f['severity']} {f['rule']}"
             for f in report["findings"]]
    return code, lines, captured.err


CASES, STRAYS = discover()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = expected_findings(case)
    if case.kind == "pass":
        assert expected == [], "a pass case has no expected findings"
    else:
        rules = [line.rsplit(" ", 1)[1] for line in expected]
        assert case.rule in rules, f"a fail case needs a finding of {case.rule}"
    code, found, err = validate(materialise(case, tmp_path / "registry"), capsys)
    assert (found, err) == (expected, "")
    assert code == (1 if any(" error " in line for line in expected) else 0)


def test_fixture_folders_hold_only_cases() -> None:
    assert FIXTURES.is_dir()
    assert STRAYS == []


def test_every_folder_names_a_catalogue_rule() -> None:
    folders = sorted(entry.name for entry in FIXTURES.iterdir() if entry.is_dir())
    assert [name for name in folders if name not in BY_ID] == []


def test_every_catalogue_rule_has_a_pass_and_a_fail_case() -> None:
    kinds = {(case.rule, case.kind) for case in CASES}
    missing = [f"{rule.id}/{kind}" for rule in RULES for kind in KINDS
               if (rule.id, kind) not in kinds]
    assert missing == []


def test_every_generated_case_has_its_expected_file() -> None:
    generated = {(case.rule, case.kind, case.name) for case in CASES if case.source is None}
    assert generated == set(GENERATED)


def test_discovery_reports_what_is_not_a_case(tmp_path: Path) -> None:
    """The checks above rely on discover(): it must see strays, not skip them."""
    good = tmp_path / "image-tag" / "fail"
    good.mkdir(parents=True)
    (good / "latest.yaml").write_text("tag: latest\n")
    (good / "latest.expected").write_text("templates/latest.yaml:1:6 warning image-tag\n")
    (good / "orphan.expected").write_text("")
    (good / "notes.txt").write_text("")
    (good / "no-config").mkdir()
    (tmp_path / "image-tag" / "maybe").mkdir()
    cases, strays = discover(tmp_path)
    assert [(c.id, c.expected_file) for c in cases] == [
        ("image-tag/fail/latest", good / "latest.expected"),
        ("image-tag/fail/no-config", None)]
    assert strays == [
        "image-tag/fail/no-config: a registry case needs its pyproject.toml",
        "image-tag/fail/notes.txt: neither NAME.yaml, NAME.expected nor a registry folder",
        "image-tag/fail/orphan.expected: no orphan.yaml beside it",
        "image-tag/maybe: not a pass/ or fail/ folder",
    ]
