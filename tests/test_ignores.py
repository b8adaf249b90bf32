"""Inline ignores: parsed from the text, applied to the line and the next, and checked."""

from __future__ import annotations

from registry.findings import Finding
from registry.ignores import Directive, apply, parse


def finding(line: int, rule: str = "image-tag", severity: str = "warning") -> Finding:
    return Finding("t.yaml", line, 8, "warning" if severity == "warning" else "error", rule, "m")


def test_parse_trailing_and_full_line_comments() -> None:
    text = ("name: a\n"
            "  # template-registry: ignore[image-tag] pinned next sprint\n"
            "  tag: latest  # template-registry: ignore[image-tag, secret] legacy\n"
            'description: "x # template-registry: ignore[schema] not a comment? it is"\n'
            'value: "a#template-registry: ignore[schema] no space before #"\n')
    assert parse(text) == [
        Directive(2, 3, ("image-tag",), "pinned next sprint"),
        Directive(3, 16, ("image-tag", "secret"), "legacy"),
        Directive(4, 17, ("schema",), "not a comment? it is\""),
    ]
    assert parse("name: a\n") == []


def test_an_ignore_covers_its_line_and_the_next() -> None:
    directives = [Directive(2, 3, ("image-tag",), "why")]
    kept = apply([finding(2), finding(3), finding(4), finding(3, "secret", "error")],
                 directives, "t.yaml")
    assert kept == [finding(4), finding(3, "secret", "error")]


def test_ignores_that_say_nothing_or_match_nothing_are_warned_about() -> None:
    directives = [Directive(1, 1, ("image-tag",), ""), Directive(5, 3, ("image-tagg",), "x"),
                  Directive(9, 3, ("secret",), "x"), Directive(12, 1, (), "x")]
    kept = apply([finding(2)], directives, "t.yaml")
    assert [(f.line, f.rule, f.severity, f.message) for f in kept] == [
        (1, "ignore-comment", "warning",
         "ignore[image-tag] gives no reason; say why after the bracket, so that review can "
         "judge it"),
        (5, "ignore-comment", "warning",
         "ignore names no known rule 'image-tagg' (did you mean 'image-tag'?)"),
        (9, "ignore-comment", "warning",
         "ignore[secret] matches no finding on this line or the next; remove it"),
        (12, "ignore-comment", "warning", "ignore[] names no rule; write ignore[RULE-ID] why"),
    ]


def test_an_ignore_for_a_rule_turned_off_is_not_reported_as_unused() -> None:
    assert apply([], [Directive(3, 1, ("secret",), "x")], "t.yaml", off={"secret"}) == []
