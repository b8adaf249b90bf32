"""Environments: one repository, several platforms (staging, production).

A template file is the base; an environment renders it by applying its patch (a YAML
JSON Merge Patch, RFC 7386, at `<overlay>/<path of the file under the templates folder>`:
a `null` removes a field) and then mapping the account id (`accounts`: the id in the
files -> the id in this environment). Pure functions, no I/O: the caller loads files.

Rendering never changes a template's identity beyond the account mapping: a patch that
sets `name` or `account_id` is refused (the `environment` rule), so the keys that plan
and ownership use stay the base's keys, mapped.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from registry.config import Config, Environment

IDENTITY_FIELDS = ("name", "account_id")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: PATCH applied to TARGET (neither is changed; the result shares nothing
    mutable with them). A mapping patch merges key by key, `None` removes a key; any
    other patch replaces the target whole."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(copy.deepcopy(target)) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def map_account(account_id: str, env: Environment) -> str:
    """The environment's account id for the files' ACCOUNT_ID (itself when unmapped)."""
    return env.accounts.get(account_id, account_id)


def render(body: dict[str, Any], patch: dict[str, Any] | None, env: Environment
           ) -> dict[str, Any]:
    """The template BODY as ENV receives it: patched, then its account id mapped."""
    rendered: dict[str, Any] = merge_patch(body, patch) if patch is not None \
        else copy.deepcopy(body)
    account = rendered.get("account_id")
    if isinstance(account, str):
        rendered["account_id"] = map_account(account, env)
    return rendered


def identity_problems(patch: dict[str, Any]) -> list[str]:
    """The identity fields a patch tries to set or remove (it must not)."""
    return [name for name in IDENTITY_FIELDS if name in patch]


def patch_path(config: Config, env: Environment, template: str) -> str | None:
    """Where ENV's patch for the template file TEMPLATE (a path from the root) lives, as a
    path from the root; None when ENV has no overlay or TEMPLATE is not a template."""
    prefix = config.templates.rstrip("/") + "/"
    if env.overlay is None or not template.startswith(prefix):
        return None
    return f"{env.overlay}/{template[len(prefix):]}"


def template_of(config: Config, env: Environment, patch: str) -> str | None:
    """The template file a patch file of ENV's overlay belongs to, or None."""
    if env.overlay is None or not patch.startswith(env.overlay + "/"):
        return None
    return f"{config.templates.rstrip('/')}/{patch[len(env.overlay) + 1:]}"


def environment(config: Config, name: str) -> Environment:
    """The environment NAME of CONFIG (ConfigError with the known names otherwise)."""
    from registry.errors import ConfigError

    if name not in config.environments:
        known = ", ".join(sorted(config.environments)) or "none are configured"
        raise ConfigError(f"--env {name}: no such environment in "
                          f"[tool.template-registry.environments] (known: {known})")
    return config.environments[name]
