"""Rule `schema` and `yaml-implicit-type`: the create body, with helpful messages."""

from __future__ import annotations

import pytest

from tests.helpers import BASE, edit, findings_of, messages_of


def test_enum_wrong_case_lists_allowed_values() -> None:
    text = edit(BASE, "endpoint_type: SYNC", "endpoint_type: sync")
    assert findings_of(text) == [(3, 16, "error", "schema")]
    message = messages_of(text)[0]
    assert "allowed values: SYNC, ASYNC, STREAMING, BATCH" in message
    assert "did you mean 'SYNC'" in message


def test_misspelt_top_level_key_suggests_the_right_one() -> None:
    text = edit(BASE, "vendor_configuration:", "vendor_configuraton:")
    assert findings_of(text) == [(5, 1, "error", "schema")]
    assert messages_of(text) == [
        "unknown field 'vendor_configuraton'; did you mean 'vendor_configuration'?"]


def test_misspelt_nested_key() -> None:
    text = edit(BASE, "    per_worker: 4", "    per_workers: 4")
    assert findings_of(text) == [(20, 5, "error", "schema")]
    assert "did you mean 'per_worker'?" in messages_of(text)[0]


def test_unknown_key_without_a_close_match_lists_fields() -> None:
    text = edit(BASE, "model_type: GENERIC\n", "model_type: GENERIC\nowner: team-a\n")
    assert findings_of(text) == [(5, 1, "error", "schema")]
    assert "allowed fields: name, account_id" in messages_of(text)[0]


def test_missing_required_field() -> None:
    text = edit(BASE, "account_id: acct-test\n", "")
    assert findings_of(text) == [(1, 1, "error", "schema")]
    assert messages_of(text) == ["missing required field 'account_id'"]


def test_missing_nested_field_points_at_parent() -> None:
    text = edit(BASE, "    image: server\n", "")
    assert findings_of(text) == [(7, 3, "error", "schema")]
    assert messages_of(text) == [
        "missing required field 'image' in vendor_configuration.bundle_config"]


@pytest.mark.parametrize(("old", "new", "column", "kind"), [
    ('tag: "1.0.0"', "tag: 1.10", 10, "a float"),
    ("name: test-model", "name: yes", 7, "a boolean"),
    ("image: server", "image: 2024", 12, "an integer"),
    ("image: server", "image: 2024-01-31", 12, "a date"),
])
def test_implicit_types_in_string_fields(old: str, new: str, column: int, kind: str) -> None:
    text = edit(BASE, old, new)
    line = BASE.splitlines().index(next(x for x in BASE.splitlines() if old in x)) + 1
    assert findings_of(text) == [(line, column, "error", "yaml-implicit-type")]
    message = messages_of(text)[0]
    raw = new.split(": ", 1)[1]
    assert f"{raw} is read by YAML as {kind}, not a string; quote it: \"{raw}\"" in message


def test_implicit_type_in_env_value() -> None:
    text = edit(BASE, "    image: server\n", "    image: server\n    env:\n      DEBUG: on\n")
    assert findings_of(text) == [(11, 14, "error", "yaml-implicit-type")]
    assert "quote it: \"on\"" in messages_of(text)[0]


def test_quoted_number_in_integer_field() -> None:
    text = edit(BASE, "cpus: 2", 'cpus: "2"')
    assert findings_of(text) == [(15, 11, "error", "schema")]
    assert messages_of(text) == [
        "vendor_configuration.endpoint_config.cpus: expected an integer, got a string ('2'); "
        "write it without quotes"]


def test_boolean_is_not_an_integer() -> None:
    text = edit(BASE, "cpus: 2", "cpus: true")
    assert findings_of(text) == [(15, 11, "error", "schema")]


def test_float_is_not_an_integer() -> None:
    text = edit(BASE, "cpus: 2", "cpus: 1.5")
    assert findings_of(text) == [(15, 11, "error", "schema")]


def test_empty_required_string() -> None:
    text = edit(BASE, "name: test-model", "name:")
    assert findings_of(text) == [(1, 6, "error", "schema")]
    assert messages_of(text) == ["name has no value; expected a string"]


def test_empty_optional_field_is_absent() -> None:
    text = BASE + "endpoint_protocol:\n"
    assert findings_of(text) == []


def test_wrong_container_type() -> None:
    text = edit(BASE, "command: [python, -m, server]", "command: python -m server")
    assert findings_of(text) == [(11, 14, "error", "schema")]
    assert "expected a list, got a string" in messages_of(text)[0]


def test_gpu_type_enum() -> None:
    text = edit(BASE, "    cpus: 2\n", "    cpus: 2\n    gpus: 1\n    gpu_type: nvidia-tesla-t5\n")
    assert findings_of(text) == [(17, 15, "error", "schema")]
    assert "nvidia-tesla-t4" in messages_of(text)[0]


def test_parameter_type_enum() -> None:
    text = BASE + ("model_request_parameters_schema:\n  parameters:\n"
                   "    - {name: top_k, type: integer, description: How many., required: false}\n")
    assert findings_of(text) == [(23, 27, "error", "schema")]
    assert "allowed values: str, int, float, bool" in messages_of(text)[0]
