"""A plan with hostile names, ids, paths and values, in each format."""

from __future__ import annotations

import json

from registry.plan import Action, Change, Plan
from registry.redact import CHANGED, REDACTED
from registry.render.plan import render_plan, short

NAME = "x\n::error::pwned"
PLAN = Plan("main", "a" * 40, ("acct-1",), (
    Action("create", "acct-1", "</details><img src=x onerror=alert(1)>", "templates/a|b.yaml"),
    Action("replace", "acct-1", "tick`tick", "templates/t.yaml", remote_ids=("id\x1b[2J",),
           changes=(Change("model_type", "a|b\r\nc", "\u202egnp.exe"),
                    Change("vendor_configuration.bundle_config.env.HF_TOKEN", REDACTED,
                           CHANGED))),
    Action("delete", "acct-1", NAME, remote_ids=("r-1",), reason="not defined in git (--prune)"),
), unchanged=0, prune=True)


def test_text() -> None:
    assert render_plan(PLAN, "text").splitlines() == [
        "Plan for main (aaaaaaaaaaaa); accounts: acct-1",
        "  + create  acct-1/</details><img src=x onerror=alert(1)> (templates/a|b.yaml)",
        "  ~ replace acct-1/tick`tick (templates/t.yaml) id id\\x1b[2J: changes model_type, "
        "vendor_configuration.bundle_config.env.HF_TOKEN",
        '      model_type: "a|b\\r\\nc" -> "\\u202egnp.exe"',
        "      vendor_configuration.bundle_config.env.HF_TOKEN: [REDACTED] -> "
        "[REDACTED] (changed)",
        "  - delete  acct-1/x\\n::error::pwned id r-1: not defined in git (--prune)",
        "Plan: 1 to create, 1 to replace, 1 to delete.",
    ]


def test_markdown() -> None:
    lines = render_plan(PLAN, "markdown").splitlines()
    assert lines[4:9] == [
        "| | action | account | name | file | remote id | used by |",
        "|---|---|---|---|---|---|---|",
        "| + | create | <code>acct-1</code> | <code>&#60;/details&#62;&#60;img&#32;src&#61;x&#32;"
        "onerror&#61;alert&#40;1&#41;&#62;</code> | <code>templates/a&#124;b.yaml</code> |  |  |",
        "| ~ | replace | <code>acct-1</code> | <code>tick&#96;tick</code> | "
        "<code>templates/t.yaml</code> | <code>id&#92;x1b&#91;2J</code> |  |",
        "| - | delete | <code>acct-1</code> | <code>x&#92;n&#58;&#58;error&#58;&#58;pwned</code> |"
        "  | <code>r-1</code> |  |",
    ]
    assert lines[-4:-2] == [
        "| <code>model&#95;type</code> | <code>&#34;a&#124;b&#92;r&#92;nc&#34;</code> | "
        "<code>&#34;&#92;u202egnp.exe&#34;</code> |",
        "| <code>vendor&#95;configuration.bundle&#95;config.env.HF&#95;TOKEN</code> | "
        "<code>&#91;REDACTED&#93;</code> | <code>&#91;REDACTED&#93;&#32;&#40;changed&#41;</code> |",
    ]
    for line in lines:
        if line.startswith("|"):
            assert line.count("|") == 8 or line.count("|") == 4, line


def test_json_round_trips() -> None:
    data = json.loads(render_plan(PLAN, "json"))
    assert [a["name"] for a in data["actions"]] == [a.name for a in PLAN.actions]
    assert data["actions"][1]["remote_ids"] == ["id\x1b[2J"]
    assert data["actions"][1]["changes"] == [
        {"field": "model_type", "before": "a|b\r\nc", "after": "\u202egnp.exe"},
        {"field": "vendor_configuration.bundle_config.env.HF_TOKEN", "before": "[REDACTED]",
         "after": "[REDACTED] (changed)"}]


def test_short() -> None:
    assert short(None) == "(absent)"
    assert short(REDACTED) == "[REDACTED]"
    assert short("[REDACTED]") == '"[REDACTED]"'
    assert short(["--token", REDACTED]) == '["--token", "[REDACTED]"]'
    assert short("x" * 100) == '"' + "x" * 47 + " … " + "x" * 8 + '"'
