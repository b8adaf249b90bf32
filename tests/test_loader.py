"""The YAML traps: each is one finding with its rule and position, never a traceback."""

from __future__ import annotations

import random
import time
import tracemalloc

import pytest

from registry.loader import MAX_DEPTH, load_document
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


def test_complex_key() -> None:
    text = "? [a, b]\n: 1\n" + BASE
    assert only(text) == (1, 3, "error", "yaml-syntax")


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
