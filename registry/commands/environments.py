"""`template-registry environments`: the configured environments, for people and for CI.

CI needs to know, per environment, which variable the tool reads its key from (the
action and the GitLab jobs put the key they were given there) without parsing
pyproject.toml themselves; people want to see at a glance where each environment's
templates go. Read-only, no API call, no git.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.config import Config, Environment, load_config

# registry.client.API_KEY_ENV, which imports httpx: this command runs on the base
# install too (a test checks that the two agree).
DEFAULT_KEY_ENV = "SGP_API_KEY"


@dataclass(frozen=True)
class EnvironmentInfo:
    """One environment as listed: its configured base URL (None when it names none), the
    variable its key is read from (its own, else the default), accounts and overlay."""

    name: str
    base_url: str | None
    api_key_env: str
    accounts: dict[str, str]
    overlay: str | None

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "base_url": self.base_url, "api_key_env": self.api_key_env,
                "accounts": dict(self.accounts), "overlay": self.overlay}


def describe(env: Environment) -> EnvironmentInfo:
    """ENV as listed, with the key variable `plan --env` actually reads."""
    return EnvironmentInfo(env.name, env.base_url, env.api_key_env or DEFAULT_KEY_ENV,
                           dict(sorted(env.accounts.items())), env.overlay)


def chosen(config: Config, name: str | None) -> list[Environment]:
    """Every environment in configuration order, or only NAME (ConfigError if unknown)."""
    from registry.environments import environment

    if name is not None:
        return [environment(config, name)]
    return list(config.environments.values())


def environments_command(*, root: str | None = None, name: str | None = None,
                         fmt: str = "text") -> int:
    """Exit 0; 2 for a configuration error or an unknown --env."""
    from registry.render.environments import render_environments

    config = load_config(root)
    print(render_environments([describe(env) for env in chosen(config, name)], fmt))
    return 0
