"""Environments: configuration, RFC 7386 merge patches, account mapping, patch paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry.config import Environment, load_config
from registry.environments import (
    environment,
    identity_problems,
    map_account,
    merge_patch,
    patch_path,
    render,
    template_of,
)
from registry.errors import ConfigError

STAGING = '''
[tool.template-registry.environments.staging]
base_url = "https://staging.example.com"
api_key_env = "SGP_STAGING_API_KEY"
accounts = {"acct-a" = "acct-a-staging"}
overlay = "overlays/staging"

[tool.template-registry.environments.production]
base_url = "https://api.example.com"
'''


def test_environments_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.template-registry]\n" + STAGING)
    config = load_config(tmp_path)
    assert config.environments == {
        "staging": Environment("staging", "https://staging.example.com", "SGP_STAGING_API_KEY",
                               {"acct-a": "acct-a-staging"}, "overlays/staging"),
        "production": Environment("production", "https://api.example.com")}
    assert environment(config, "staging").overlay == "overlays/staging"
    with pytest.raises(ConfigError, match=re.escape(
            "--env prod: no such environment in [tool.template-registry.environments] "
            "(known: production, staging)")):
        environment(config, "prod")


@pytest.mark.parametrize(("body", "message"), [
    ("environments = 1", "must be a table of environments"),
    ("[tool.template-registry.environments.staging]\nbase = 1", "unknown key(s) base"),
    ('[tool.template-registry.environments."a b"]\n', "'a b' is not a usable environment"),
    ("[tool.template-registry.environments.s]\napi_key_env = \"1X\"", "api_key_env must name"),
    ("[tool.template-registry.environments.s]\naccounts = {a = 1}", "accounts must map"),
    ('[tool.template-registry.environments.s]\noverlay = "../x"', "inside the repository"),
])
def test_bad_environments_are_configuration_errors(tmp_path: Path, body: str,
                                                   message: str) -> None:
    text = "[tool.template-registry]\n" + body if body.startswith("environments") else body
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(tmp_path)


def test_merge_patch_follows_rfc_7386() -> None:
    # The examples of RFC 7386, appendix A.
    cases = [({"a": "b"}, {"a": "c"}, {"a": "c"}), ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
             ({"a": "b"}, {"a": None}, {}), ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
             ({"a": ["b"]}, {"a": "c"}, {"a": "c"}), ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
             ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
             ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}), (["a", "b"], ["c", "d"], ["c", "d"]),
             ({"a": "b"}, ["c"], ["c"]), ({"a": "foo"}, None, None), ({"a": "foo"}, "bar", "bar"),
             ({"e": None}, {"a": 1}, {"e": None, "a": 1}), ([1, 2], {"a": "b", "c": None},
                                                          {"a": "b"}),
             ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}})]
    for target, patch, expected in cases:
        assert merge_patch(target, patch) == expected


def test_render_patches_then_maps_the_account_and_changes_no_input() -> None:
    env = Environment("staging", accounts={"acct-a": "acct-a-staging"})
    body = {"name": "x", "account_id": "acct-a",
            "vendor_configuration": {"endpoint_config": {"min_workers": 2, "gpus": 1}}}
    patch = {"vendor_configuration": {"endpoint_config": {"min_workers": 0, "gpus": None}}}
    assert render(body, patch, env) == {
        "name": "x", "account_id": "acct-a-staging",
        "vendor_configuration": {"endpoint_config": {"min_workers": 0}}}
    assert body["vendor_configuration"]["endpoint_config"] == {"min_workers": 2, "gpus": 1}
    assert render(body, None, env)["account_id"] == "acct-a-staging"
    assert map_account("acct-b", env) == "acct-b"
    assert identity_problems({"name": "y", "account_id": None, "x": 1}) == ["name", "account_id"]


def test_patch_paths_mirror_the_templates_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.template-registry]\n" + STAGING)
    config = load_config(tmp_path)
    staging, production = config.environments["staging"], config.environments["production"]
    assert patch_path(config, staging, "templates/acct-b/x.yaml") == \
        "overlays/staging/acct-b/x.yaml"
    assert template_of(config, staging, "overlays/staging/acct-b/x.yaml") == \
        "templates/acct-b/x.yaml"
    assert patch_path(config, production, "templates/acct-b/x.yaml") is None
    assert template_of(config, staging, "elsewhere/x.yaml") is None
