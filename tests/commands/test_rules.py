"""`rules` and `explain`: the catalogue, printed."""

from __future__ import annotations

import json

import pytest

from registry import cli
from registry.rules import BY_ID, RULES


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RULE", "DEFAULT", "SCOPE", "WHAT", "IT", "CATCHES"]
    assert [line.split()[:3] for line in lines[1:]] == [[r.id, r.severity, r.scope]
                                                        for r in RULES]


def test_rules_as_json_carry_everything(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["rules", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in data] == list(BY_ID)
    assert all(set(d) == {"id", "severity", "scope", "summary", "why", "example", "fix"}
               and all(d.values()) for d in data)


def test_explain_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", "image-tag"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("image-tag (warning by default; scope: file)\n\nCatches: a moving")
    assert "Bad example:\n    tag: latest\n" in out
    assert "Fix: Pin a version" in out


def test_explain_an_unknown_rule_suggests_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", "image-tagg"]) == 2
    assert capsys.readouterr().err == ("template-registry: no rule 'image-tagg' (did you mean "
                                       "'image-tag'?); `template-registry rules` lists them\n")
