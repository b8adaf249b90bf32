"""Which replacements break what is built on a template, and why.

Models are created from a template with values for its creation parameters, and callers
send its request parameters. A replacement breaks them when it removes such a parameter
(by name), makes one required (or adds a required one), or changes its type; and it
breaks every model built on the template when it changes what kind of model it is or how
it is called (`model_type`, `endpoint_type`, `endpoint_protocol`). A template that moves
to another account (a delete in one account and a create of the same name in another,
in one plan) leaves the models of the old account without it.

Pure functions over create bodies (from git and from the API, so they must not raise on
odd data); both sides are compared in their canonical form (registry.compare), so an
absent field and an empty one are the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from registry.compare import canonical

Key = tuple[str, str]
KINDS = ("model_type", "endpoint_type", "endpoint_protocol")
SCHEMAS = (("model_creation_parameters_schema", "creation"),
           ("model_request_parameters_schema", "request"))


def reasons(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """Why replacing OLD with NEW breaks models or callers; () when it does not."""
    before, after = canonical(dict(old)), canonical(dict(new))
    found = [f"changes {name} from {_shown(before.get(name))} to {_shown(after.get(name))}"
             for name in KINDS if before.get(name) != after.get(name)]
    for name, label in SCHEMAS:
        found += _parameters(label, _by_name(before.get(name)), _by_name(after.get(name)))
    return tuple(found)


def moves(deleted: Iterable[Key], created: Iterable[Key]) -> dict[Key, list[Key]]:
    """For each key of a move, its other side(s): a deleted (account, name) and a created
    one with the same name in another account."""
    gone: dict[str, list[Key]] = defaultdict(list)
    for key in deleted:
        gone[key[1]].append(key)
    pairs: dict[Key, list[Key]] = defaultdict(list)
    for key in created:
        for old in gone.get(key[1], []):
            if old[0] != key[0]:
                pairs[key].append(old)
                pairs[old].append(key)
    return dict(pairs)


def move(old_account: str, new_account: str) -> str:
    """The reason shown on both sides of a move."""
    return (f"moves from account {old_account!r} to {new_account!r}: models in "
            f"{old_account!r} lose the template")


def _parameters(label: str, old: dict[str, Mapping[str, Any]],
                new: dict[str, Mapping[str, Any]]) -> list[str]:
    found = []
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            found.append(f"removes {label} parameter {name!r}")
            continue
        if before.get("type") != after.get("type"):
            found.append(f"changes the type of {label} parameter {name!r} from "
                         f"{_shown(before.get('type'))} to {_shown(after.get('type'))}")
        if after.get("required") is True and before.get("required") is not True:
            found.append(f"makes {label} parameter {name!r} required")
    found += [f"adds required {label} parameter {name!r}" for name, after in new.items()
              if name not in old and after.get("required") is True]
    return found


def _by_name(schema: Any) -> dict[str, Mapping[str, Any]]:
    """The parameters of a parameter schema by name (the first of a name; others ignored)."""
    items = schema.get("parameters") if isinstance(schema, Mapping) else None
    found: dict[str, Mapping[str, Any]] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            found.setdefault(item["name"], item)
    return found


def _shown(value: Any) -> str:
    return "(absent)" if value is None else repr(value)
