"""The YAML traps: each is one finding with its rule and position, never a traceback."""

from __future__ import annotations

import random
import time
import tracemalloc

import pytest

from registry.checks import MAX_FINDINGS, capped, check_content
from registry.loader import MAX_DEPTH, MAX_KEPT, MAX_NUMBER_LENGTH, load_document
from tests.helpers import BASE, edit, findings_of, messages_of

BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
)


def only(text: str | bytes) -> tuple[int, int, str, str]:
    found = findings_of(text)
    assert len(found) == 1, found
    return found[0]


def test_valid_base_has_no_findings() -> None:
    assert findings_of(BASE) == []


def test_positions_of_nested_keys_and_values() -> None:
    doc = load_document(BASE.encode(), "t.yaml").document
    assert doc is not None
    assert doc.position(("vendor_configuration", "endpoint_config", "memory")) == (16, 5)
    assert doc.position(("vendor_configuration", "endpoint_config", "memory"),
                        prefer="value") == (16, 13)
    assert doc.position(("vendor_configuration", "bundle_config", "command", 2),
                        prefer="value") == (11, 27)
    # A path that does not exist falls back to its nearest ancestor.
    assert doc.position(("vendor_configuration", "endpoint_config", "gpus")) == (14, 3)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_or_comment_only(text: str) -> None:
    assert only(text) == (1, 1, "error", "yaml-unsafe")
    assert "no YAML document" in messages_of(text)[0]


def test_list_at_top_level() -> None:
    assert only("- name: a\n- name: b\n") == (1, 1, "error", "yaml-unsafe")
    assert "top level is a list" in messages_of("- a\n")[0]


def test_scalar_at_top_level() -> None:
    assert only("just text\n") == (1, 1, "error", "yaml-unsafe")


def test_tabs_for_indentation() -> None:
    text = edit(BASE, "    image: server\n", "\timage: server\n")
    assert only(text) == (9, 1, "error", "yaml-syntax")
    assert "tab" in messages_of(text)[0]


def test_unclosed_quote_points_at_the_quote() -> None:
    text = edit(BASE, 'tag: "1.0.0"', 'tag: "1.0.0')
    assert only(text) == (10, 10, "error", "yaml-syntax")
    assert "unclosed quote" in messages_of(text)[0]


def test_duplicate_key_points_at_second() -> None:
    text = edit(BASE, "account_id: acct-test\n", "account_id: acct-test\nname: other\n")
    assert only(text) == (3, 1, "error", "yaml-duplicate-key")
    assert messages_of(text)[0].startswith("duplicate key 'name' (first at line 1)")


def test_duplicate_nested_key() -> None:
    text = edit(BASE, "    cpus: 2\n", "    cpus: 2\n    cpus: 3\n")
    assert only(text) == (16, 5, "error", "yaml-duplicate-key")


def test_anchor_and_alias_rejected() -> None:
    text = edit(BASE, "    image: server\n", "    image: &img server\n")
    assert only(text) == (9, 12, "error", "yaml-unsafe")


def test_billion_laughs_is_rejected_fast_and_small() -> None:
    tracemalloc.start()
    started = time.perf_counter()
    result = findings_of(BILLION_LAUGHS)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result == [(1, 4, "error", "yaml-unsafe")]
    assert elapsed < 0.5
    assert peak < 2 * 1024 * 1024


@pytest.mark.parametrize("tagged", ["!!python/object:os.system ls", "!custom value",
                                    "!!binary aGVsbG8=", "!!set {a, b}"])
def test_custom_tags_rejected(tagged: str) -> None:
    text = edit(BASE, "image: server", f"image: {tagged}")
    line, column, severity, rule = only(text)
    assert (line, column, severity, rule) == (9, 12, "error", "yaml-unsafe")
    assert "tag" in messages_of(text)[0]


def test_several_documents() -> None:
    text = BASE + "---\n" + BASE
    assert only(text) == (21, 1, "error", "yaml-unsafe")
    assert "several YAML documents" in messages_of(text)[0]


def test_file_over_one_mib_is_refused_unparsed() -> None:
    text = BASE + "# " + "x" * (5 * 1024 * 1024) + "\n"
    assert only(text) == (1, 1, "error", "yaml-unsafe")
    assert "larger than 1 MiB" in messages_of(text)[0]


def test_random_bytes() -> None:
    raw = random.Random(7).randbytes(4096)
    assert only(raw) == (1, 2, "error", "yaml-unsafe")  # the first byte that is not UTF-8
    assert "not UTF-8" in messages_of(raw)[0]


def test_non_utf8_position() -> None:
    raw = BASE.encode().replace(b"image: server", b"image: serv\xe9r")
    assert only(raw) == (9, 16, "error", "yaml-unsafe")


def test_utf8_bom_is_accepted() -> None:
    assert findings_of(b"\xef\xbb\xbf" + BASE.encode()) == []


def test_control_character() -> None:
    text = edit(BASE, "image: server", "image: ser\x07ver")
    assert only(text) == (9, 15, "error", "yaml-syntax")


def test_deeply_nested_lists() -> None:
    text = "name: " + "[" * 200 + "]" * 200 + "\n"
    line, column, severity, rule = only(text)
    assert (line, severity, rule) == (1, "error", "yaml-unsafe")
    assert column == 7 + MAX_DEPTH - 1  # the top-level mapping is the first level
    assert f"deeper than {MAX_DEPTH}" in messages_of(text)[0]


def test_very_deep_nesting_does_not_crash() -> None:
    text = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"
    assert only(text) == (1, 1003, "error", "yaml-syntax")  # libyaml's own limit comes first
    assert "nesting depth" in messages_of(text)[0]


@pytest.mark.parametrize(("text", "column"), [("? [a, b]\n: 1\n", 3), ("{[a]: 1}\n", 2),
                                             ("? {a: 1}\n: 1\n", 3)])
def test_list_or_mapping_as_key_is_unsafe_not_a_syntax_error(text: str, column: int) -> None:
    # Valid YAML, but templates use plain string keys.
    assert only(text + BASE if text.startswith("?") else text) == (1, column, "error",
                                                                    "yaml-unsafe")
    assert messages_of(text) == ["a mapping key must be a plain string, not a list or mapping"]


def test_typed_key_is_an_implicit_type_finding() -> None:
    text = edit(BASE, "    image: server\n", "    image: server\n    env: {yes: '1'}\n")
    assert (10, 11, "error", "yaml-implicit-type") in findings_of(text)


def test_fuzzed_inputs_never_raise() -> None:
    rng = random.Random(1)
    pieces = [":", "-", " ", "\n", "\t", "'", '"', "[", "]", "{", "}", "&a", "*a", "!t", "#",
              "key", "1.10", "yes", "~", "---", "...", "|", ">", "?", "%YAML 1.1", "\\", "é"]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        result = load_document(text.encode(), "f.yaml")
        assert result.document is not None or result.findings


@pytest.mark.parametrize(("text", "message"), [
    ("a: !!bool maybe\n", "'maybe' is not a valid !!bool"),
    ("a: !!int\n", "'' is not a valid !!int"),
    ('a: !!int ""\n', "'' is not a valid !!int"),
    ("a: !!float x\n", "'x' is not a valid !!float"),
])
def test_explicit_tag_that_does_not_fit_the_value(text: str, message: str) -> None:
    assert only(text) == (1, 4, "error", "yaml-syntax")
    assert messages_of(text) == [message]


def test_explicit_int_tag_on_a_huge_number() -> None:
    text = edit(BASE, "cpus: 2", "cpus: !!int " + "9" * 5000)
    assert only(text) == (15, 11, "error", "yaml-syntax")
    assert messages_of(text) == [
        f"!!int {'9' * 59}\u2026 has 5000 characters; a number in a template has at most "
        f"{MAX_NUMBER_LENGTH}"]


@pytest.mark.parametrize("field", ["gpus", "cpus", "max_workers"])
def test_huge_integer_is_a_type_trap_not_a_crash(field: str) -> None:
    text = edit(BASE, "    per_worker: 4\n", f"    per_worker: 4\n    {field}: {'9' * 5000}\n")
    assert findings_of(text) == [(21, len(field) + 7, "error", "yaml-implicit-type")]
    assert messages_of(text) == [
        f"{'9' * 59}\u2026 (5000 characters) is read by YAML as an integer longer than any "
        "template value; quote it if it is a string"]


def test_huge_hex_number_in_a_string_field() -> None:
    text = edit(BASE, "endpoint_type: SYNC", "endpoint_type: 0x" + "f" * 5000)
    assert only(text) == (3, 16, "error", "yaml-implicit-type")
    assert messages_of(text)[0].startswith("0xfff")
    assert len(messages_of(text)[0]) < 200


def test_base60_float_that_overflows() -> None:
    text = "a: " + "1:" * 300 + "1.5\n"
    assert only(text) == (1, 4, "error", "yaml-implicit-type")
    assert "(603 characters) is read by YAML as a float" in messages_of(text)[0]


def test_base60_number_is_a_type_trap() -> None:
    text = edit(BASE, "cpus: 2", "cpus: 1:30")
    assert only(text) == (15, 11, "error", "yaml-implicit-type")
    assert messages_of(text) == [
        '1:30 is read by YAML 1.1 as a base-60 integer (and by YAML 1.2 as a string); quote it: '
        '"1:30", or write the number in decimal']


@pytest.mark.parametrize("size", [400_000, 1_000_000])
def test_huge_base60_number_is_fast(size: int) -> None:
    text = "a: " + "1:" * (size // 2) + "1\n"
    started = time.perf_counter()
    assert only(text) == (1, 4, "error", "yaml-implicit-type")
    assert time.perf_counter() - started < 2


def test_invalid_date_is_a_type_trap() -> None:
    text = edit(BASE, "name: test-model", "name: 2001-02-30")
    assert only(text) == (1, 7, "error", "yaml-implicit-type")
    assert messages_of(text) == [
        '2001-02-30 is read by YAML as a date, but it is not a valid date; quote it: '
        '"2001-02-30"']


def test_invalid_date_as_key_is_a_typed_key() -> None:
    text = edit(BASE, "    image: server\n", "    image: server\n    env: {2001-02-30: x}\n")
    assert findings_of(text) == [(10, 11, "error", "yaml-implicit-type")]
    assert messages_of(text) == [
        "key '2001-02-30' is read by YAML as a date, not a string; quote it: \"2001-02-30\""]


def test_5000_digit_number_is_a_type_trap() -> None:
    text = edit(BASE, "name: test-model", "name: " + "1" * 5000)
    assert only(text) == (1, 7, "error", "yaml-implicit-type")


def test_long_values_are_cut_in_messages() -> None:
    text = edit(BASE, "endpoint_type: SYNC", "endpoint_type: " + "x" * 10_000)
    assert findings_of(text) == [(3, 16, "error", "schema")]
    assert messages_of(text) == [
        f"endpoint_type: '{'x' * 59}\u2026' is not allowed; allowed values: SYNC, ASYNC, "
        "STREAMING, BATCH"]
    text = edit(BASE, "    cpus: 2\n", "    cpus: 2\n    ? " + "y" * 10_000 + "\n    : 1\n")
    assert findings_of(text) == [(16, 7, "error", "schema")]
    assert messages_of(text) == [
        f"unknown field '{'y' * 59}\u2026' in vendor_configuration.endpoint_config; allowed "
        "fields: cpus, memory, storage, gpus, gpu_type, min_workers, max_workers, per_worker, "
        "endpoint_type, high_priority"]


def test_control_character_after_multibyte_text() -> None:
    # libyaml reports this position in bytes; the finding counts characters.
    assert only(b"# \xc3\xa9\xc3\xa9\na\n\x01\n") == (3, 1, "error", "yaml-syntax")
    text = edit(BASE, "image: server", "image: s\u00e9\x07ver")
    assert only(text) == (9, 14, "error", "yaml-syntax")


def test_value_after_multibyte_text_on_the_same_line() -> None:
    text = edit(BASE, "command: [python, -m, server]", "command: [\u00e9\u00e9, 1, server]")
    assert findings_of(text) == [(11, 19, "error", "yaml-implicit-type")]
    doc = load_document(text.encode(), "t.yaml").document
    assert doc is not None
    assert doc.position(("vendor_configuration", "bundle_config", "command", 2),
                        prefer="value") == (11, 22)


@pytest.mark.parametrize("newline", ["\r", "\x85", "\u2028", "\u2029"])
def test_positions_count_only_lf_as_a_new_line(newline: str) -> None:
    # libyaml also breaks lines at these; editors, git and GitHub do not.
    text = edit(BASE, "    image: server\n", f'    image: "ser{newline}ver"\n')
    text = edit(text, "    cpus: 2\n", "    cpus: 2\n    cpus: 3\n")
    assert only(text) == (16, 5, "error", "yaml-duplicate-key")
    assert messages_of(text)[0].startswith("duplicate key 'cpus' (first at line 15)")
    doc = load_document(text.replace("    cpus: 3\n", "").encode(), "t.yaml").document
    assert doc is not None
    assert doc.position(("vendor_configuration", "bundle_config", "tag"), prefer="value") == (
        10, 10)


def test_lone_carriage_return_joins_lines_for_positions() -> None:
    text = edit(BASE, "    image: server\n", "    image: server\r    tag: x\n")
    assert only(text) == (10, 5, "error", "yaml-duplicate-key")
    assert messages_of(text)[0].startswith("duplicate key 'tag' (first at line 9)")


def test_findings_are_capped_per_file() -> None:
    text = "".join(f"k{i}: 1\n" for i in range(2000))
    rows = check_content(text.encode(), "t.yaml").rows
    assert len(rows) == MAX_FINDINGS + 1
    assert [row[4] for row in rows[:5]] == [
        f"missing required field {name!r}"
        for name in ("account_id", "endpoint_type", "model_type", "name", "vendor_configuration")]
    assert [row[:2] for row in rows[5:MAX_FINDINGS]] == [(i + 1, 1) for i in range(45)]
    assert rows[-1] == (46, 1, "error", "schema",
                        "1955 more finding(s) not shown (fix the ones above first)")


def test_file_too_large_for_the_model_gets_its_unknown_fields() -> None:
    text = "".join(f"k{i}: 1\n" for i in range(12_000))
    rows = check_content(text.encode(), "t.yaml").rows
    assert rows[0] == (1, 1, "error", "schema",
                       "the file holds 12,001 values; a template holds a few hundred, so only "
                       "unknown fields are checked until it is smaller")
    assert rows[1][:2] == (1, 1)
    assert rows[1][4].startswith("unknown field 'k0'; allowed fields: name, account_id")
    assert rows[-1] == (50, 1, "error", "schema",
                        "11951 more finding(s) not shown (fix the ones above first)")


def test_loader_keeps_a_bounded_number_of_findings() -> None:
    text = "{" + "a," * 1200 + "}\n"
    result = load_document(text.encode(), "t.yaml")
    assert (len(result.findings), result.omitted) == (MAX_KEPT, 1199 - MAX_KEPT)
    rows = check_content(text.encode(), "t.yaml").rows
    assert rows[5] == (1, 2, "error", "schema",
                       "unknown field 'a'; allowed fields: name, account_id, endpoint_type, "
                       "model_type, vendor_configuration, model_creation_parameters_schema, "
                       "model_request_parameters_schema, endpoint_protocol")
    assert rows[6][:4] == (1, 4, "error", "yaml-duplicate-key")
    assert rows[-1] == (1, 92, "error", "yaml-duplicate-key",
                        "1155 more finding(s) not shown (fix the ones above first)")


def test_cap_counts_warnings_as_warnings() -> None:
    rows = [(i, 1, "warning", "image-tag", "w") for i in range(1, MAX_FINDINGS + 3)]
    assert capped(list(rows)) == [*rows[:MAX_FINDINGS], (
        MAX_FINDINGS + 1, 1, "warning", "image-tag",
        "2 more finding(s) not shown (fix the ones above first)")]
    assert capped(rows[:MAX_FINDINGS]) == rows[:MAX_FINDINGS]
    with_error = [*rows, (99, 1, "error", "schema", "e")]
    assert capped(with_error)[-1][2] == "error"


def test_file_too_large_for_the_model_finds_the_unknown_fields_the_model_would() -> None:
    text = edit(BASE, "name: test-model\n", "name: test-model\nnmae: x\n")
    text = edit(text, "    image: server\n", "    image: server\n    imgae: y\n")
    text = edit(text, "    per_worker: 4\n", "    per_worker: 4\n    gpu: 1\n")
    text += ("model_request_parameters_schema:\n  parameters:\n"
             "    - {name: a, type: int, description: d, required: true, default: 1}\n")
    small = [row for row in check_content(text.encode(), "t.yaml").rows
             if row[4].startswith("unknown field")]
    assert [row[:2] for row in small] == [(2, 1), (11, 5), (23, 5), (26, 60)]
    env = "    env:\n" + "".join(f"      E{i}: v\n" for i in range(10_000))
    large = edit(text, "  bundle_config:\n", "  bundle_config:\n" + env)
    rows = check_content(large.encode(), "t.yaml").rows
    # The same unknown fields, below the env by its 10,001 lines, and why no more is checked.
    assert [row for row in rows if row[4].startswith("unknown field")] == [
        (line + (10_001 if line > 8 else 0), column, *rest) for line, column, *rest in small]
    assert rows[0][4].startswith("the file holds 10,036 values")
