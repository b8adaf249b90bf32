"""The cost document in each format, with hostile names; the money notation."""

from __future__ import annotations

import json

import click
import pytest

from registry.app import cli
from registry.cost import CostReport, Delta, Estimate, Row, Total
from registry.render.cost import change_text, dollars, money, render_cost, signed, span
from registry.render.formats import choices

NAME = "x\n::error::pwned"
REPORT = CostReport("main\x1b[2J", (
    Row("acct-1", NAME, "templates/a|b.yaml", Estimate("g5.4xlarge", 1.624, 1, 8)),
    Row("acct-1", "</details>", "templates/c.yaml", Estimate(reason="no \u202eendpoint_config")),
    Row("acct-2", "tick`tick", "templates/t.yaml", Estimate("m6i.xlarge", 0.192, 2, 2)),
), ("templates/::error::bad.yaml",))


def test_text() -> None:
    assert render_cost(REPORT, "text").splitlines() == [
        "Monthly cost of the templates in main\\x1b[2J",
        "ACCOUNT  NAME               INSTANCE    WORKERS  FLOOR   CEILING  PATH",
        "acct-1   x\\n::error::pwned  g5.4xlarge  1-8      $1,186  $9,484   templates/a|b.yaml",
        "acct-1   </details>         no price    -        -       -        templates/c.yaml",
        "acct-2   tick`tick          m6i.xlarge  2        $280    $280     templates/t.yaml",
        "No price for acct-1/</details>: no \\u202eendpoint_config",
        "acct-1: $1,186 to $9,484 a month (1 template(s) without a price)",
        "acct-2: $280 a month",
        "Total: $1,466 to $9,764 a month (1 template(s) without a price)",
        "AWS on-demand, us-east-1, Linux prices, 730 hours a month: the floor at each "
        "template's min_workers, the ceiling at max_workers. A deployment may set its own "
        "worker counts, so real cost is set per deployment.",
    ]


def test_markdown() -> None:
    lines = render_cost(REPORT, "markdown").splitlines()
    assert lines[0] == "### Monthly cost of the templates in <code>main&#92;x1b&#91;2J</code>"
    assert lines[4:] == [
        "| account | name | instance | workers | floor | ceiling |",
        "|---|---|---|---|---|---|",
        "| <code>acct-1</code> | <code>x&#92;n&#58;&#58;error&#58;&#58;pwned</code> | "
        "<code>g5.4xlarge</code> | 1-8 | &#36;1,186 | &#36;9,484 |",
        "| <code>acct-1</code> | <code>&#60;/details&#62;</code> | no&#32;price&#58;&#32;no&#32;"
        "&#92;u202eendpoint&#95;config | - | no price | no price |",
        "| <code>acct-2</code> | <code>tick&#96;tick</code> | <code>m6i.xlarge</code> | 2 | "
        "&#36;280 | &#36;280 |",
        "",
        "| account | floor | ceiling | without a price |",
        "|---|---|---|---|",
        "| <code>acct-1</code> | &#36;1,186 | &#36;9,484 | 1 |",
        "| <code>acct-2</code> | &#36;280 | &#36;280 | 0 |",
        "| **total** | &#36;1,466 | &#36;9,764 | 1 |",
    ]


def test_json_round_trips() -> None:
    data = json.loads(render_cost(REPORT, "json"))
    assert (data["ref"], data["basis"], data["hours_per_month"]) == (
        "main\x1b[2J", "AWS on-demand, us-east-1, Linux", 730)
    assert data["templates"][0] == {"account_id": "acct-1", "name": NAME,
                                    "path": "templates/a|b.yaml", "instance": "g5.4xlarge",
                                    "hourly": 1.624, "min_workers": 1, "max_workers": 8,
                                    "floor": 1185.52, "ceiling": 9484.16, "reason": None}
    assert data["templates"][1]["reason"] == "no \u202eendpoint_config"
    assert data["accounts"] == {
        "acct-1": {"floor": 1185.52, "ceiling": 9484.16, "unpriced": 1},
        "acct-2": {"floor": 280.32, "ceiling": 280.32, "unpriced": 0}}
    assert data["total"] == {"floor": 1465.84, "ceiling": 9764.48, "unpriced": 1}
    assert data["unreadable"] == ["templates/::error::bad.yaml"]


def test_an_empty_registry() -> None:
    assert render_cost(CostReport(None, ()), "text").splitlines()[:3] == [
        "Monthly cost of the templates in the working tree", "  (no templates)",
        "Total: $0 a month"]


@pytest.mark.parametrize(("value", "shown", "change"), [
    (1185.52, "$1,186", "+$1,186"), (-1185.52, "-$1,186", "-$1,186"), (0.0, "$0", "$0"),
    (0.4, "$0", "$0"), (-0.4, "$0", "$0"), (1234567.0, "$1,234,567", "+$1,234,567"),
])
def test_money(value: float, shown: str, change: str) -> None:
    assert (money(value), signed(value)) == (shown, change)


def test_spans_and_changes() -> None:
    assert span(Estimate("m6i.xlarge", 0.192, 1, 5)) == "$140 to $701"
    assert span(Total(280.32, 280.32)) == "$280"
    assert change_text(Delta(601.52, 4812.16)) == "+$602 to +$4,812"
    assert change_text(Delta(-5.0, -5.0)) == "-$5"
    assert change_text(Delta(None, None)) == "unknown (no price)"
    assert dollars("+$1,186 to -$5") == "+&#36;1,186 to -&#36;5"


def test_the_cli_offers_the_registered_formats() -> None:
    (option,) = [p for p in cli.commands["cost"].params if p.name == "fmt"]
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == choices("cost") == ["text", "json", "markdown"]
