"""Redaction: what the secret rule flags, and secret-named env values, are never shown."""

from __future__ import annotations

from typing import Any

from registry.plan import Change, diff
from registry.redact import CHANGED, REDACTED, Redacted, redact, shown_change
from tests.live_server import template_body

# Test credentials assembled at run time so that no scanner mistakes this file for a leak.
HF = "hf_" + "Q8zR3lX0vW2tN7kS5mP9bD4fG6hJ1cY3aE"
HF_2 = "hf_" + "Z9yX8wV7uT6sR5qP4oN3mL2kJ1iH0gF9eD"
RANDOM = "q8Zr3Lx0Vw2Tn7Ks"


def with_bundle(**fields: Any) -> dict[str, Any]:
    body = template_body("m", "acct-1")
    body["vendor_configuration"]["bundle_config"].update(fields)
    return body


def test_redact_hides_what_the_rule_flags_and_secret_env_names() -> None:
    tree = {"env": {"HF_TOKEN": HF, "DB_PASSWORD": "hunter2", "API_KEY": "${API_KEY}",
                    "LOG_LEVEL": "debug", "EMPTY_TOKEN": ""},
            "command": ["serve", "--token", RANDOM, f"--hf={HF}", "--port", "5005"],
            "registry": "https://bot:s3cret@registry.example.com", "note": f"uses {HF} inside"}
    assert redact(tree) == {
        "env": {"HF_TOKEN": REDACTED, "DB_PASSWORD": REDACTED, "API_KEY": "${API_KEY}",
                "LOG_LEVEL": "debug", "EMPTY_TOKEN": ""},
        "command": ["serve", "--token", REDACTED, REDACTED, "--port", "5005"],
        "registry": REDACTED, "note": REDACTED}
    assert tree["env"]["HF_TOKEN"] == HF  # the input is left alone
    plain = {"env": {"MODE": "fast"}}
    assert redact(plain) is plain


def test_a_password_outside_env_is_shown_unless_the_rule_flags_it() -> None:
    assert redact({"password": "hunter2"}) == {"password": "hunter2"}
    assert redact({"password": RANDOM}) == {"password": REDACTED}


def test_shown_change_marks_a_hidden_change() -> None:
    assert shown_change(HF, HF_2, REDACTED, REDACTED) == (REDACTED, CHANGED)
    assert shown_change(HF, "${HF_TOKEN}", REDACTED, "${HF_TOKEN}") == (REDACTED, "${HF_TOKEN}")
    assert shown_change(None, HF, None, REDACTED) == (None, REDACTED)
    assert shown_change(["--token", HF], ["--token", HF_2], ["--token", REDACTED],
                        ["--token", REDACTED]) == (["--token", REDACTED], ["--token", CHANGED])
    assert shown_change([{"env": {"HF_TOKEN": HF}}, "x"], [{"env": {"HF_TOKEN": HF_2}}, "x"],
                        [{"env": {"HF_TOKEN": REDACTED}}, "x"],
                        [{"env": {"HF_TOKEN": REDACTED}}, "x"])[1] == [
        {"env": {"HF_TOKEN": CHANGED}}, "x"]
    assert isinstance(CHANGED, Redacted) and str(CHANGED) == "[REDACTED] (changed)"


def test_diff_redacts_both_sides() -> None:
    before = with_bundle(env={"HF_TOKEN": HF, "DB_PASSWORD": "hunter2", "MODE": "a"},
                         command=["serve", "--token", HF])
    after = with_bundle(env={"HF_TOKEN": "${HF_TOKEN}", "DB_PASSWORD": "hunter3", "MODE": "b"},
                        command=["serve", "--token", HF_2])
    assert list(diff(before, after)) == [
        Change("vendor_configuration.bundle_config.command", ["serve", "--token", REDACTED],
               ["serve", "--token", CHANGED]),
        Change("vendor_configuration.bundle_config.env.DB_PASSWORD", REDACTED, CHANGED),
        Change("vendor_configuration.bundle_config.env.HF_TOKEN", REDACTED, "${HF_TOKEN}"),
        Change("vendor_configuration.bundle_config.env.MODE", "a", "b"),
    ]


def test_diff_of_a_removed_secret() -> None:
    before = with_bundle(env={"HF_TOKEN": HF})
    assert list(diff(before, with_bundle())) == [
        Change("vendor_configuration.bundle_config.env.HF_TOKEN", REDACTED, None)]
