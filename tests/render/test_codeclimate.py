"""`validate --format codeclimate`: GitLab's code quality report, exactly."""

from __future__ import annotations

import json

from registry.findings import Finding
from registry.render.findings import render_findings
from registry.render.fingerprint import fingerprints
from tests.render.test_findings import HOSTILE, PLAIN


def test_the_exact_shape() -> None:
    text = render_findings([HOSTILE, PLAIN], 2, "codeclimate")
    assert text.isascii()
    hostile, plain = fingerprints([HOSTILE, PLAIN])
    assert json.loads(text) == [
        {"description": "unknown field 'a\u202eb'; 100% sure", "check_name": "schema",
         "fingerprint": hostile, "severity": "major",
         "location": {"path": "templates/::error::x\n\x1b.yaml", "lines": {"begin": 3}}},
        {"description": "tag 'latest' moves", "check_name": "image-tag",
         "fingerprint": plain, "severity": "minor",
         "location": {"path": "templates/a.yaml", "lines": {"begin": 1}}},
    ]
    assert "\\u202e" in text and "\\u001b" in text  # escaped, never raw


def test_no_findings_is_an_empty_array() -> None:
    assert json.loads(render_findings([], 3, "codeclimate")) == []


def test_fingerprints_are_unique_in_a_report() -> None:
    """GitLab shows one issue per fingerprint: the same finding twice in a file stays two."""
    twice = [PLAIN, Finding(PLAIN.path, 9, 1, "warning", "image-tag", PLAIN.message)]
    issues = json.loads(render_findings(twice, 1, "codeclimate"))
    assert len({issue["fingerprint"] for issue in issues}) == 2
    assert [issue["location"]["lines"]["begin"] for issue in issues] == [1, 9]
