"""Rendering with positions: each value of a rendered template at the file it came from;
one rendering's rules; render_environment, the entry point plan uses on a commit's files."""

from __future__ import annotations

from typing import Any

import pytest

from registry.config import DEFAULT_CONTENT, Config, ContentSettings, Environment
from registry.findings import Finding
from registry.loader import Document, load_document
from registry.rendering import (
    BASE,
    PATCH,
    Rendered,
    check_rendering,
    environment_key,
    render_document,
    render_environment,
    rendering_key,
)
from registry.rules import SCHEMA
from tests.helpers import BASE as TEMPLATE
from tests.helpers import edit, named

PRODUCTION = Environment("production", accounts={"acct-test": "acct-prod"},
                         overlay="overlays/production")
PATCH_TEXT = """\
# production: bigger workers, its own image, no per_worker
vendor_configuration:
  bundle_config:
    command: [python, -m, server, --prod]
    env:
      LOG_LEVEL: warning
    tag: 1.10
  endpoint_config:
    memory: 24Gi
    per_worker: null
"""


def rendered() -> Document:
    base = load_document(TEMPLATE.encode(), "templates/t.yaml").document
    patch = load_document(PATCH_TEXT.encode(), "overlays/production/t.yaml").document
    assert base is not None and patch is not None
    return render_document(base, patch, PRODUCTION)


def where(doc: Document, *path: str | int, prefer: str = "key") -> tuple[str, int, int]:
    found = doc.finding(SCHEMA, path, "m", prefer=prefer)
    return found.path, found.line, found.column


def test_the_rendered_data_is_the_merge_patch_with_the_account_mapped() -> None:
    data = rendered().data
    assert data["account_id"] == "acct-prod"
    assert data["vendor_configuration"]["bundle_config"]["command"] == [
        "python", "-m", "server", "--prod"]
    assert data["vendor_configuration"]["bundle_config"]["tag"] == 1.1
    assert data["vendor_configuration"]["endpoint_config"] == {
        "cpus": 2, "memory": "24Gi", "storage": "10Gi", "min_workers": 1, "max_workers": 2}


def test_each_position_stands_in_the_file_its_value_came_from() -> None:
    doc = rendered()
    base, patch = "templates/t.yaml", "overlays/production/t.yaml"
    # Values the patch sets: at the patch, key or value.
    assert where(doc, "vendor_configuration", "endpoint_config", "memory") == (patch, 9, 5)
    assert where(doc, "vendor_configuration", "endpoint_config", "memory",
                 prefer="value") == (patch, 9, 13)
    # A list is replaced whole: its items are the patch's.
    assert where(doc, "vendor_configuration", "bundle_config", "command", 3,
                 prefer="value") == (patch, 4, 35)
    # A mapping the base did not have: the patch's, down to its leaves.
    assert where(doc, "vendor_configuration", "bundle_config", "env", "LOG_LEVEL",
                 prefer="value") == (patch, 6, 18)
    # Values the patch does not touch, and mappings it merges into: the base's.
    assert where(doc, "vendor_configuration", "endpoint_config", "cpus") == (base, 15, 5)
    assert where(doc, "vendor_configuration", "bundle_config") == (base, 7, 3)
    assert where(doc, "vendor_configuration", "bundle_config", "image",
                 prefer="value") == (base, 9, 12)
    # The mapped account keeps its place in the base (a patch never sets it).
    assert where(doc, "account_id", prefer="value") == (base, 2, 13)
    # A mapping the patch removes a key from is the patch's: what it lacks is its doing.
    assert where(doc, "vendor_configuration", "endpoint_config") == (patch, 8, 3)
    assert where(doc, "vendor_configuration", "endpoint_config", "per_worker") == (patch, 8, 3)
    # A value YAML typed implicitly keeps its source text, from the patch.
    assert doc.implicit[("vendor_configuration", "bundle_config", "tag")] == ("1.10", "float")


def test_without_a_patch_the_rendering_is_the_base_with_the_account_mapped() -> None:
    base = load_document(TEMPLATE.encode(), "templates/t.yaml").document
    assert base is not None
    doc = render_document(base, None, PRODUCTION)
    assert doc.sources == {}
    assert doc.data == {**base.data, "account_id": "acct-prod"}
    assert doc.keys == base.keys and doc.values == base.values


def test_a_top_level_field_the_patch_removes_is_reported_at_the_patch() -> None:
    base = load_document(TEMPLATE.encode(), "t.yaml").document
    patch = load_document(b"x: 1\nmodel_type: null\n", "p.yaml").document
    assert base is not None and patch is not None
    doc = render_document(base, patch, PRODUCTION)
    assert where(doc, "model_type") == ("p.yaml", 1, 1)
    assert where(doc, "x") == ("p.yaml", 1, 1)
    assert where(doc, "endpoint_type") == ("t.yaml", 3, 1)


def rows(patch: str | None, base: str = TEMPLATE, env: Environment = PRODUCTION,
         settings: ContentSettings = DEFAULT_CONTENT) -> list[tuple[Any, ...]]:
    result, _ = check_rendering(base.encode(), None if patch is None else patch.encode(), env,
                                settings)
    return [row[:5] for row in result.rows]


def test_one_rendering_reports_at_the_patch_or_at_the_base() -> None:
    patch = "vendor_configuration:\n  endpoint_config:\n    memory: 24GB\n"
    base = edit(TEMPLATE, 'tag: "1.0.0"', "tag: latest")
    assert rows(patch, base) == [
        (BASE, 10, 10, "warning", "image-tag"),
        (PATCH, 3, 13, "error", "launch-resources"),
    ]
    assert rows(None, base) == [(BASE, 10, 10, "warning", "image-tag")]


def test_a_yaml_trap_in_the_patch_is_the_patchs_and_stops_its_rendering() -> None:
    patch = "vendor_configuration:\n  endpoint_config:\n    cpus: 1\n    cpus: 2\n"
    assert rows(patch) == [(PATCH, 4, 5, "error", "yaml-duplicate-key")]
    assert rows("a: [1\n") == [(PATCH, 2, 1, "error", "yaml-syntax")]
    # A base that does not load is reported alone (the patch's own traps too).
    assert rows("b: *x\n", "name: [\n") == [(BASE, 2, 1, "error", "yaml-syntax"),
                                          (PATCH, 1, 4, "error", "yaml-unsafe")]


@pytest.mark.parametrize(("patch", "expected"), [
    ("- a\n", (PATCH, 1, 1, "error", "environment",
               "the patch is a list; a patch is a mapping of the fields it changes (a JSON "
               "merge patch, RFC 7386: `null` removes a field)")),
    ("# nothing\n", (PATCH, 1, 1, "error", "environment",
                     "the patch is empty; a patch is a mapping of the fields it changes (a "
                     "JSON merge patch, RFC 7386: `null` removes a field)")),
    ("model_type: GENERIC\nname: other\n", (PATCH, 2, 1, "error", "environment",
                                            "the patch sets name; a patch must not change "
                                            "which template it is (change it in the template "
                                            "file)")),
    ("account_id: null\n", (PATCH, 1, 1, "error", "environment",
                            "the patch removes account_id; a patch must not change which "
                            "template it is (map accounts in the environment's `accounts` "
                            "instead)")),
])
def test_the_environment_rule_on_a_patch(patch: str, expected: tuple[Any, ...]) -> None:
    result, body = check_rendering(TEMPLATE.encode(), patch.encode(), PRODUCTION,
                                   ContentSettings())
    assert [row[:6] for row in result.rows] == [expected]
    assert result.identity is not None and result.identity.account_id == "acct-test"
    if patch.startswith(("model_type", "account")):  # the rendering goes on, identity unchanged
        assert body is not None and body["name"] == "test-model"
        assert body["account_id"] == "acct-prod"
    else:
        assert body is None


def test_an_account_the_environment_does_not_map() -> None:
    result, _ = check_rendering(named("x", "acct-other").encode(), None, PRODUCTION,
                                ContentSettings())
    assert result.rows == [(BASE, 2, 13, "error", "environment",
                            "account 'acct-other' is not in this environment's `accounts` "
                            "mapping, so the template would go to account 'acct-other' there; "
                            "map it")]
    unmapping = Environment("staging")  # maps nothing: every account is its own
    assert check_rendering(named("x", "acct-other").encode(), None, unmapping,
                           ContentSettings())[0].rows == []


def test_inline_ignores_of_each_file_apply_to_its_findings() -> None:
    base = edit(TEMPLATE, 'tag: "1.0.0"',
                'tag: latest  # template-registry: ignore[image-tag] pinned by the CD job')
    patch = ("vendor_configuration:\n  endpoint_config:\n"
             "    # template-registry: ignore[launch-resources] a test cluster\n"
             "    memory: 24GB\n"
             "    cpus: 4  # template-registry: ignore[secret] nothing to ignore\n")
    result, _ = check_rendering(base.encode(), patch.encode(), PRODUCTION, ContentSettings())
    assert result.rows == []
    assert (result.base_used, result.patch_used) == ([0], [0])
    assert [d[:3] for d in result.patch_ignores] == [(3, 5, ("launch-resources",)),
                                                     (5, 14, ("secret",))]


def test_rules_turned_off_are_dropped_before_the_cap() -> None:
    patch = "vendor_configuration:\n  endpoint_config:\n    memory: 24GB\n"
    assert rows(patch, settings=ContentSettings(off=frozenset({"launch-resources"}))) == []


def test_the_key_covers_the_bytes_the_mapping_and_the_settings_not_the_name() -> None:
    base, patch = b"0" * 16, b"1" * 16
    context = environment_key(PRODUCTION, DEFAULT_CONTENT)
    key = rendering_key(base, patch, context)
    renamed = Environment("prod", "https://x", "KEY", dict(PRODUCTION.accounts), "elsewhere")
    assert environment_key(renamed, DEFAULT_CONTENT) == context
    assert len({key, rendering_key(base, None, context),
                rendering_key(base, b"2" * 16, context),
                rendering_key(b"3" * 16, patch, context),
                rendering_key(base, patch, environment_key(Environment("p"), DEFAULT_CONTENT)),
                rendering_key(base, patch, environment_key(
                    PRODUCTION, ContentSettings(off=frozenset({"secret"}))))}) == 6


class Store:
    """A cache in a dict, counting what it is asked."""

    def __init__(self) -> None:
        self.plain: dict[bytes, Any] = {}
        self.hits = 0

    def get_plain(self, key: bytes, decode: Any) -> Any:
        if key not in self.plain:
            return None
        self.hits += 1
        return decode(self.plain[key])

    def put_plain(self, key: bytes, plain: Any) -> None:
        self.plain[key] = plain


def test_render_environment_from_file_contents(tmp_path: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(tmp_path, accounts={"acct-test": ["templates/**"]})  # ENV given apart
    templates = {"templates/a.yaml": named("a").encode(), "templates/b.yaml": named("b").encode(),
                 "templates/c.yaml": named("A").encode()}
    patches = {"overlays/production/b.yaml": b"vendor_configuration:\n  endpoint_config:\n"
                                             b"    memory: 24GB\n",
               "overlays/production/gone.yaml": b"x: 1\n"}
    store = Store()
    findings, bodies = render_environment(config, PRODUCTION, templates, patches, cache=store)
    expected = [
        Finding("overlays/production/b.yaml", 3, 13, "error", "launch-resources",
                "memory '24GB' is not a quantity Launch accepts; did you mean '24Gi'?",
                ("production",)),
        Finding("overlays/production/gone.yaml", 1, 1, "error", "environment",
                "this patch is for templates/gone.yaml, which does not exist: a patch applies "
                "to the template at the same path under the templates folder", ("production",)),
        Finding("templates/a.yaml", 1, 7, "error", "unique-name",
                "template name 'a' in account 'acct-prod' differs only in case or spaces from "
                "the one in templates/c.yaml:1; names must be unique in an account",
                ("production",)),
        Finding("templates/c.yaml", 1, 7, "error", "unique-name",
                "template name 'A' in account 'acct-prod' differs only in case or spaces from "
                "the one in templates/a.yaml:1; names must be unique in an account",
                ("production",)),
    ]
    assert findings == expected
    assert sorted(bodies) == ["templates/a.yaml", "templates/b.yaml", "templates/c.yaml"]
    assert bodies["templates/b.yaml"]["account_id"] == "acct-prod"
    assert bodies["templates/b.yaml"]["vendor_configuration"]["endpoint_config"]["memory"] == \
        "24GB"
    assert (len(store.plain), store.hits) == (3, 0)

    import registry.rendering as rendering

    def unexpected(*args: Any) -> Any:
        raise AssertionError("a cached rendering was checked again")

    monkeypatch.setattr(rendering, "check_rendering", unexpected)
    assert render_environment(config, PRODUCTION, templates, patches, cache=store) == (
        findings, bodies)
    assert store.hits == 3


def test_a_result_survives_the_cache_format() -> None:
    result, _ = check_rendering(TEMPLATE.encode(), b"a: 1\n", PRODUCTION, ContentSettings())
    assert Rendered.from_plain(result.to_plain()) == result
