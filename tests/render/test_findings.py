"""Validate's findings in each format, with a hostile file name and message."""

from __future__ import annotations

import json

from registry.findings import Finding
from registry.render.findings import render_findings

HOSTILE = Finding("templates/::error::x\n\x1b.yaml", 3, 16, "error", "schema",
                  "unknown field 'a\u202eb'; 100% sure")
PLAIN = Finding("templates/a.yaml", 1, 1, "warning", "image-tag", "tag 'latest' moves")


def test_text() -> None:
    assert render_findings([HOSTILE, PLAIN], 2, "text").splitlines() == [
        "templates/::error::x\\n\\x1b.yaml:3:16: error schema: unknown field 'a\\u202eb'; "
        "100% sure",
        "templates/a.yaml:1:1: warning image-tag: tag 'latest' moves",
        "2 file(s) checked: 1 error(s), 1 warning(s).",
    ]


def test_text_defuses_a_file_name_that_starts_a_command() -> None:
    found = Finding("::error::x.yaml", 1, 1, "error", "schema", "m")
    assert render_findings([found], 1, "text").splitlines()[0] == (
        "\\x3a:error::x.yaml:1:1: error schema: m")


def test_github() -> None:
    assert render_findings([HOSTILE, PLAIN], 2, "github").splitlines() == [
        "::error file=templates/%3A%3Aerror%3A%3Ax%0A\\x1b.yaml,line=3,col=16,title=schema::"
        "unknown field 'a\\u202eb'; 100%25 sure",
        "::warning file=templates/a.yaml,line=1,col=1,title=image-tag::tag 'latest' moves",
        "2 file(s) checked: 1 error(s), 1 warning(s).",
    ]


def test_json_round_trips() -> None:
    text = render_findings([HOSTILE], 1, "json")
    assert text.isascii()
    assert json.loads(text) == {"files": 1, "findings": [
        {"path": HOSTILE.path, "line": 3, "column": 16, "severity": "error", "rule": "schema",
         "message": HOSTILE.message}]}


def test_no_findings() -> None:
    assert render_findings([], 4, "text") == "4 file(s) checked: no problems found."


ENVS = Finding("templates/a.yaml", 16, 13, "error", "launch-resources", "memory '24GB' is bad",
               ("staging", "production"))


def test_environments_in_each_format() -> None:
    """Named once per finding: a suffix where a message is all there is, a list in JSON."""
    assert render_findings([ENVS, PLAIN], 1, "text").splitlines()[:2] == [
        "templates/a.yaml:16:13: error launch-resources: memory '24GB' is bad "
        "(in staging, production)",
        "templates/a.yaml:1:1: warning image-tag: tag 'latest' moves"]
    assert render_findings([ENVS], 1, "github").splitlines()[0] == (
        "::error file=templates/a.yaml,line=16,col=13,title=launch-resources::memory '24GB' "
        "is bad (in staging, production)")
    assert json.loads(render_findings([ENVS, PLAIN], 1, "json"))["findings"] == [
        {"path": "templates/a.yaml", "line": 16, "column": 13, "severity": "error",
         "rule": "launch-resources", "message": "memory '24GB' is bad",
         "environments": ["staging", "production"]},
        {"path": "templates/a.yaml", "line": 1, "column": 1, "severity": "warning",
         "rule": "image-tag", "message": "tag 'latest' moves"}]


def test_fingerprints_leave_the_environments_out() -> None:
    fewer = ENVS._replace(environments=("production",))
    for fmt, prints in (("sarif", lambda d: [r["partialFingerprints"] for r in
                                             d["runs"][0]["results"]]),
                        ("codeclimate", lambda d: [i["fingerprint"] for i in d])):
        assert prints(json.loads(render_findings([ENVS], 1, fmt))) == \
            prints(json.loads(render_findings([fewer], 1, fmt)))
