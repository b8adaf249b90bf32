"""`template-registry diff --env A --env B`: how two environments' templates differ.

Each template file is rendered in both environments (registry.rendering) and the two
bodies compared field by field as plan compares a file with the API (registry.plan.diff:
create fields only, credentials hidden), from the working tree or a commit. A template
that one environment cannot render (a file that does not load) is listed as present in
the other only; `validate` says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registry.config import load_config
from registry.errors import ConfigError
from registry.plan import Change


@dataclass(frozen=True)
class TemplateDiff:
    """One template file whose renderings differ: who it is on each side, and how."""

    path: str
    left: str  # "account/name" in the left environment
    right: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class EnvironmentDiff:
    """The rendered templates of two environments compared, per template file."""

    left: str
    right: str
    ref: str | None  # None: the working tree
    differ: tuple[TemplateDiff, ...]
    same: int
    only_left: tuple[str, ...]
    only_right: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"left": self.left, "right": self.right, "ref": self.ref, "same": self.same,
                "differ": [{"path": d.path, "left": d.left, "right": d.right,
                            "changes": [{"field": c.field, "before": c.before,
                                         "after": c.after} for c in d.changes]}
                           for d in self.differ],
                "only_left": list(self.only_left), "only_right": list(self.only_right)}


def compare(left: str, right: str, ref: str | None, left_bodies: Mapping[str, dict[str, Any]],
            right_bodies: Mapping[str, dict[str, Any]]) -> EnvironmentDiff:
    """The renderings LEFT_BODIES and RIGHT_BODIES ({template path: body}) compared."""
    from registry.plan import diff

    differ, same = [], 0
    for path in sorted(set(left_bodies) & set(right_bodies)):
        before, after = left_bodies[path], right_bodies[path]
        changes = tuple(diff(before, after))
        if not changes:
            same += 1
            continue
        differ.append(TemplateDiff(path, _who(before), _who(after), changes))
    return EnvironmentDiff(left, right, ref, tuple(differ), same,
                           tuple(sorted(set(left_bodies) - set(right_bodies))),
                           tuple(sorted(set(right_bodies) - set(left_bodies))))


def _who(body: dict[str, Any]) -> str:
    return f"{body.get('account_id')}/{body.get('name')}"


def diff_command(names: Sequence[str], *, ref: str | None = None, root: str | None = None,
                 fmt: str = "text") -> int:
    """Exit 0 (a view: differences are no failure); 2 on bad usage or configuration."""
    from registry.commands.list import template_sources
    from registry.environments import environment
    from registry.render.envdiff import render_diff
    from registry.rendering import check_layout, render_bodies

    config = load_config(root)
    if len(names) != 2 or names[0] == names[1]:
        raise ConfigError("give two different environments: --env A --env B")
    check_layout(config)
    envs = [environment(config, name) for name in names]
    templates = dict(template_sources(config.root, config.templates, ref))
    sides = []
    for env in envs:
        patches = dict(template_sources(config.root, env.overlay, ref)) if env.overlay else {}
        sides.append(render_bodies(config, env, templates, patches))
    print(render_diff(compare(envs[0].name, envs[1].name, ref, *sides), fmt))
    return 0
