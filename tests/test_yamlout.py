"""registry.yamlout: what it writes loads back to exactly the body, laid out as `new` writes."""

from __future__ import annotations

import random
from typing import Any

import pytest

from registry.checks import check_content
from registry.commands.new import render
from registry.loader import load_document
from registry.yamlout import create_fields, dump_template

# Strings YAML 1.1 would read as another type, or that need care to survive as text.
TRICKY = [
    "1.10", "yes", "on", "off", "y", "Y", "No", "null", "Null", "~", "", "2024-01-31",
    "2024-01-31 10:00:00", "0x1F", "0o17", "017", "1_000", "1:20", ".inf", "-.inf", ".NaN",
    "1e3", "+1", "-1", "<<", "=", "- a", "-", "--port", "-m", "#x", "a#b", "a: b", "a:", "a:b",
    "a #b", " lead", "trail ", " ", "*x", "&x", "!x", "!!str", "%x", "@x", "`x", "'", '"',
    "it's", 'say "hi"', "{x}", "[x]", "x, y", "|", ">", "?", "? x", "?x", ":", ":x", "---",
    "...", "--- x", "a\nb\n", "a\nb", "a\n\nb\n\n\n", "\n", "\n\n", "\nx", "  lead\n  lines\n",
    " x\ny", "x\n y\n", "trailing \nspace", "a\r\nb", "\ta", "a\tb", "tab\t", "é", "日本語",
    "emoji 😀", "𝔘nicode", "שלום עולם", "مرحبا", "a\u202eb", "Name With Spaces", "Capitals",
    "v1.2.3", "team/model.v1", "C:\\path\\x", "\\", "\\n", "a\x01b", "\x1b[31mred", "del\x7f",
    "nel\x85x", "ls\u2028x", "ps\u2029x", "\ufeffbom", "nbsp\u00a0x", "zw\u200bj", "\ue000",
    "\ufffe", "\U0010ffff", "\U000e0001tag", "\x00", "a" * 300, "http://x/y?a=b#frag",
    "${HOME}", "$(cmd)", "{{ x }}", "<x>", "x > y", "a | b", "1,000", "0", "00", "0.", "1.",
]


def body(value: str, key: str = "KEY") -> dict[str, Any]:
    """A template with VALUE in every kind of place a string can stand."""
    return {
        "name": value,
        "account_id": value,
        "endpoint_type": "SYNC",
        "model_type": "GENERIC",
        "vendor_configuration": {
            "vendor": "LAUNCH",
            "bundle_config": {
                "registry": value, "image": "server", "tag": value,
                "command": ["python", value, "--port", "5005"],
                "env": {key: value, value: "x", "OTHER": "plain"},
                "readiness_initial_delay_seconds": 0,
            },
            "endpoint_config": {"cpus": 2, "memory": "4Gi", "gpus": 0, "min_workers": 1,
                                "high_priority": False},
        },
        "model_request_parameters_schema": {"parameters": [
            {"name": "p", "type": "str", "description": value, "required": True},
            {"name": "q", "type": "int", "description": "plain", "required": False},
        ]},
    }


def assert_round_trip(data: dict[str, Any], *, rules: bool = True) -> str:
    """DATA's text loads back to the same values of the same types, with no YAML finding
    (RULES: nor from any rule; `yaml-implicit-type` is the schema rule's)."""
    text = dump_template(data)
    loaded = load_document(text.encode(), "t.yaml")
    assert loaded.findings == [], text
    assert loaded.document is not None
    assert loaded.document.data == create_fields(data), text
    assert _types(loaded.document.data) == _types(create_fields(data))
    if rules:
        yaml_rules = [row for row in check_content(text.encode(), "t.yaml").rows
                      if row[3].startswith("yaml-")]
        assert yaml_rules == [], text
    return text


def _types(value: Any) -> Any:
    """The type tree of a value (True == 1 in Python, so equality alone would miss it)."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize("value", TRICKY, ids=[ascii(v)[:30] for v in TRICKY])
def test_tricky_strings_round_trip_everywhere(value: str) -> None:
    assert_round_trip(body(value))


def test_quotes_exactly_where_yaml_would_misread() -> None:
    text = dump_template({"name": "yes", "account_id": "acct-1", "vendor_configuration": {
        "bundle_config": {"registry": "r.example.com/x", "image": "my-server", "tag": "1.10",
                          "command": ["--port", "5005", "a: b", "a #b", " lead", "-", "- a"],
                          "env": {"DATE": "2024-01-31", "HEX": "0x1F", "SEXA": "1:20",
                                  "EMPTY": "", "NULL": "~", "ESC": "\x1b[0m",
                                  "LS": "a\u2028b", "BOM": "\ufeff", "NEL": "\x85",
                                  "FACE": "😀", "TAG": "\U000e0001", "TAB": "\t",
                                  "Q": '"\\'}}}})
    assert text == (
        'name: "yes"\n'
        "account_id: acct-1\n"
        "vendor_configuration:\n"
        "  bundle_config:\n"
        "    registry: r.example.com/x\n"
        "    image: my-server\n"
        '    tag: "1.10"\n'
        "    command:\n"
        "      - --port\n"
        '      - "5005"\n'
        '      - "a: b"\n'
        '      - "a #b"\n'
        '      - " lead"\n'
        '      - "-"\n'
        '      - "- a"\n'
        "    env:\n"
        '      DATE: "2024-01-31"\n'
        '      HEX: "0x1F"\n'
        '      SEXA: "1:20"\n'
        '      EMPTY: ""\n'
        '      "NULL": "~"\n'
        '      ESC: "\\u001b[0m"\n'
        '      LS: "a\\u2028b"\n'
        '      BOM: "\\ufeff"\n'
        '      NEL: "\\u0085"\n'
        "      FACE: 😀\n"
        '      TAG: "\\U000e0001"\n'
        '      TAB: "\\t"\n'
        '      Q: "\\"\\\\"\n'
    )


def test_multi_line_strings_are_literal_blocks() -> None:
    text = dump_template({"name": "m", "model_request_parameters_schema": {"parameters": [
        {"name": "a", "type": "str", "required": True,
         "description": "One line.\n\nAnother, after a blank.\n"},
        {"name": "b", "type": "str", "required": True, "description": "  indented\nfirst"},
        {"name": "c", "type": "str", "required": True, "description": "kept\n\n"},
        {"name": "d", "type": "str", "required": True, "description": "trailing \nspace"},
    ]}})
    assert text == (
        "name: m\n"
        "model_request_parameters_schema:\n"
        "  parameters:\n"
        "    - name: a\n"
        "      type: str\n"
        "      description: |\n"
        "        One line.\n"
        "\n"
        "        Another, after a blank.\n"
        "      required: true\n"
        "    - name: b\n"
        "      type: str\n"
        "      description: |2-\n"
        "          indented\n"
        "        first\n"
        "      required: true\n"
        "    - name: c\n"
        "      type: str\n"
        "      description: |+\n"
        "        kept\n"
        "\n"
        "      required: true\n"
        "    - name: d\n"
        "      type: str\n"
        '      description: "trailing \\nspace"\n'
        "      required: true\n"
    )
    assert_round_trip({"name": "m", "model_request_parameters_schema": {"parameters": [
        {"name": "a", "type": "str", "required": True, "description": d}
        for d in ("x\n", "  x\n y", "x\n\n", "\n\nx", "\n  x\n")]}})


def test_values_of_every_type_and_empty_ones_are_kept() -> None:
    data = {"name": "n", "account_id": "a", "vendor_configuration": {"bundle_config": {
        "registry": "", "image": "i", "tag": "t", "command": [], "env": {},
        "readiness_initial_delay_seconds": -5}, "endpoint_config": {
        "cpus": 0, "gpus": 10**20, "high_priority": True, "memory": "1"}},
        "model_creation_parameters_schema": {"parameters": []}}
    text = assert_round_trip(data)
    assert "    command: []\n    env: {}\n" in text
    assert "    gpus: 100000000000000000000\n" in text
    assert "    high_priority: true\n" in text
    assert '    memory: "1"\n' in text


def test_none_is_dropped_at_every_depth_and_server_fields_too() -> None:
    remote = {"id": "abc", "created_at": "2024-01-01T00:00:00+00:00", "name": "n",
              "account_id": "a", "endpoint_protocol": None,
              "vendor_configuration": {"vendor": None, "endpoint_config": None,
                                       "bundle_config": {"registry": "r", "image": "i",
                                                         "tag": "t", "env": None}}}
    assert dump_template(remote) == (
        "name: n\naccount_id: a\nvendor_configuration:\n  bundle_config:\n"
        "    registry: r\n    image: i\n    tag: t\n")


def test_unknown_keys_follow_the_known_ones_in_their_order() -> None:
    data = {"vendor_configuration": {"zeta": 1, "bundle_config": {"new_b": "x", "tag": "t",
                                                                  "alpha": [1, 2.5, None]},
                                     "vendor": "LAUNCH"},
            "name": "n"}
    text = assert_round_trip(data)
    assert text == ("name: n\nvendor_configuration:\n  vendor: LAUNCH\n  bundle_config:\n"
                    "    tag: t\n    new_b: x\n    alpha:\n      - 1\n      - 2.5\n"
                    "      - null\n  zeta: 1\n")


def test_floats_nested_lists_and_long_keys() -> None:
    data = {"name": "n", "vendor_configuration": {"bundle_config": {
        "floats": [1e-05, 1e16, -0.5, 3.0, float("inf")],
        "nested": [["a", []], [{"k": "v"}, {}]],
        "env": {"K" * 1500: "long key", "short": {"x" * 1200: ["y"]}}}}}
    text = assert_round_trip(data)
    assert "      - 1.0e-05\n      - 1.0e+16\n" in text
    assert "      ? " + "K" * 1500 + "\n      : long key\n" in text
    assert "        ? " + "x" * 1200 + "\n        :\n          - y\n" in text


def test_what_yaml_cannot_hold_is_refused() -> None:
    with pytest.raises(ValueError, match=r"lone surrogate \(U\+D83D\)"):
        dump_template({"name": "half \ud83d"})
    with pytest.raises(TypeError, match="mapping key 1 is not a string"):
        dump_template({"vendor_configuration": {1: "x"}})
    with pytest.raises(TypeError, match="cannot write a bytes"):
        dump_template({"name": b"x"})
    assert dump_template({"id": "only server fields"}) == "{}\n"


@pytest.mark.parametrize(("endpoint_type", "gpu_type"),
                         [("SYNC", None), ("STREAMING", "nvidia-ampere-a10"), ("ASYNC", None)])
def test_key_order_and_layout_equal_new(endpoint_type: str, gpu_type: str | None) -> None:
    starter = render("starter", "acct-1", endpoint_type, "GENERIC", gpu_type)
    loaded = load_document(starter.encode(), "new.yaml").document
    assert loaded is not None
    ours = dump_template(loaded.data)
    mine = load_document(ours.encode(), "ours.yaml").document
    assert mine is not None
    assert list(mine.keys) == list(loaded.keys)
    assert [pos[1] for pos in mine.keys.values()] == [pos[1] for pos in loaded.keys.values()]
    assert mine.data == loaded.data
    assert check_content(ours.encode()).rows == []


# A few thousand random strings over an alphabet of YAML's trouble makers.
NASTY = [*" \t\n\r-?:,[]{}#&*!|>'\"%@`~.+_=<\\/0123456789eExXoObB:aAyYnNtTfFlLsS",
    "\x00", "\x01", "\x1b", "\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\ufeff", "\u200f",
    "\u202e", "é", "😀", "ש", "\U000e0001", "\ue000", "\ufffe", "yes", "null", "1.10",
    "2024-01-31", "0x", "---", "...", ": ", " #", "\n  ",
]


def _nasty(rng: random.Random, longest: int) -> str:
    return "".join(rng.choice(NASTY) for _ in range(rng.randint(0, longest)))


def test_property_random_strings_round_trip() -> None:
    rng = random.Random(20240131)
    for _ in range(3000):
        value, key, other = _nasty(rng, 14), _nasty(rng, 6), _nasty(rng, 30)
        data = body(value, key or "K")
        data["vendor_configuration"]["bundle_config"]["command"].append(other)
        data["model_request_parameters_schema"]["parameters"][1]["description"] = other
        data["vendor_configuration"]["endpoint_config"]["cpus"] = rng.randint(-10**6, 10**6)
        data["vendor_configuration"]["endpoint_config"]["high_priority"] = rng.random() < 0.5
        # Equal values of equal types imply no yaml-implicit-type; the rules are skipped
        # here for speed (the tricky cases above run them).
        assert_round_trip(data, rules=False)
