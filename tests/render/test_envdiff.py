"""`diff --env A --env B` with hostile paths, names and values, in each format."""

from __future__ import annotations

import json

from registry.commands.diff import EnvironmentDiff, TemplateDiff, compare
from registry.plan import Change
from registry.redact import CHANGED, REDACTED
from registry.render.envdiff import render_diff

DOCUMENT = EnvironmentDiff(
    "staging", "production", "main\x1b[2J",
    (TemplateDiff("templates/a|b\n::error::x.yaml", "acct-s/</code>`x", "acct-p/</code>`x", (
        Change("model_type", "a|b\r\nc", "\u202egnp.exe"),
        Change("vendor_configuration.bundle_config.env.HF_TOKEN", REDACTED, CHANGED))),),
    2, ("templates/only\x1b.yaml",), ())


def test_text() -> None:
    assert render_diff(DOCUMENT, "text").splitlines() == [
        "Environments staging -> production, commit main\\x1b[2J:",
        "  ~ templates/a|b\\n::error::x.yaml (acct-s/</code>`x -> acct-p/</code>`x)",
        '      model_type: "a|b\\r\\nc" -> "\\u202egnp.exe"',
        "      vendor_configuration.bundle_config.env.HF_TOKEN: [REDACTED] -> "
        "[REDACTED] (changed)",
        "  - templates/only\\x1b.yaml: only in staging (production cannot render it: run "
        "validate)",
        "1 template(s) differ, 2 the same, 1 only in staging, 0 only in production.",
    ]


def test_markdown() -> None:
    lines = render_diff(DOCUMENT, "markdown").splitlines()
    assert lines[2] == ("From commit <code>main&#92;x1b&#91;2J</code>: 1 template(s) differ, 2 "
                        "the same, 1 only in <code>staging</code>, 0 only in "
                        "<code>production</code>.")
    assert lines[4] == "#### <code>templates/a&#124;b&#92;n&#58;&#58;error&#58;&#58;x.yaml</code>"
    assert lines[6] == ("<code>staging</code>: <code>acct-s/&#60;/code&#62;&#96;x</code>; "
                        "<code>production</code>: <code>acct-p/&#60;/code&#62;&#96;x</code>")
    assert lines[10] == ("| <code>model&#95;type</code> | <code>&#34;a&#124;b&#92;r&#92;nc&#34;"
                         "</code> | <code>&#34;&#92;u202egnp.exe&#34;</code> |")
    assert lines[-1] == "- <code>templates/only&#92;x1b.yaml</code>"


def test_json_round_trips() -> None:
    text = render_diff(DOCUMENT, "json")
    assert text.isascii()
    assert json.loads(text)["differ"][0]["changes"][0] == {
        "field": "model_type", "before": "a|b\r\nc", "after": "\u202egnp.exe"}
    assert json.loads(text)["only_left"] == ["templates/only\x1b.yaml"]


def test_compare_counts_and_hides_credentials() -> None:
    body = {"name": "x", "account_id": "a", "endpoint_type": "SYNC", "model_type": "GENERIC",
            "vendor_configuration": {"bundle_config": {
                "registry": "r", "image": "i", "tag": "1",
                "env": {"HF_TOKEN": "hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"}}}}
    rotated = json.loads(json.dumps(body).replace("hf_aBcD", "hf_zBcD"))
    found = compare("s", "p", None, {"t/a.yaml": body, "t/b.yaml": body, "t/c.yaml": body},
                    {"t/a.yaml": body, "t/b.yaml": rotated, "t/d.yaml": body})
    assert found == EnvironmentDiff("s", "p", None, (TemplateDiff("t/b.yaml", "a/x", "a/x", (
        Change("vendor_configuration.bundle_config.env.HF_TOKEN", REDACTED, CHANGED),)),),
        1, ("t/c.yaml",), ("t/d.yaml",))
