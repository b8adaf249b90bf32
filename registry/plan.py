"""The plan: what to change so that the API holds exactly the templates of a commit.

A plain data object computed by a pure function from three inputs: the desired templates
(files of the commit), the remote templates (listed per account) and the keys the
registry owns (ever defined in the history). Nothing here does I/O; `apply` executes it.

Per (account_id, name):
- desired, nothing remote -> create
- desired, a remote equal to it -> nothing; further remotes -> dedupe (delete them)
- desired, remotes all different -> replace (create the new one, then delete the old ones:
  the API has no update call)
- not desired, but owned (a file defined it earlier) -> delete every remote one
- not desired, never owned (made by hand) -> left alone, unless prune
Equality is on the create fields only, with empty optional fields treated as absent.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from registry.compare import canonical, canonical_json
from registry.redact import redact, shown_change

Kind = Literal["create", "replace", "delete", "dedupe"]
Key = tuple[str, str]
ORDER: dict[str, int] = {"create": 0, "replace": 1, "dedupe": 2, "delete": 3}


@dataclass(frozen=True)
class Desired:
    """A template file of the commit: its path, identity and body (the API's create body).

    The body is kept as JSON text with its canonical form beside it: comparing 10,000
    unchanged templates then needs neither their bodies decoded nor canonicalised again.
    """

    path: str
    account_id: str
    name: str
    body_json: str
    canonical_json: str

    @classmethod
    def from_body(cls, path: str, body: dict[str, Any]) -> Desired:
        return cls(path, str(body["account_id"]), str(body["name"]), json.dumps(body),
                   canonical_json(body))

    @property
    def key(self) -> Key:
        return (self.account_id, self.name)

    @property
    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body_json)
        return data


@dataclass(frozen=True)
class Change:
    """One changed leaf of a replacement: dotted path, old and new value (None: absent).

    Values are as shown, credentials hidden (registry.redact): every renderer and the
    sync report get them this way.
    """

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Action:
    kind: Kind
    account_id: str
    name: str
    path: str | None = None
    remote_ids: tuple[str, ...] = ()  # replace: the old ones; delete/dedupe: those to delete
    kept_id: str | None = None  # dedupe: the remote template that stays
    changes: tuple[Change, ...] = ()
    reason: str = ""
    body: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def changed_fields(self) -> list[str]:
        return [change.field for change in self.changes]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("body")
        data["remote_ids"] = list(self.remote_ids)
        data["changes"] = [asdict(c) for c in self.changes]
        return data


@dataclass(frozen=True)
class Plan:
    ref: str
    commit: str
    accounts: tuple[str, ...]
    actions: tuple[Action, ...]
    unchanged: int
    prune: bool = False

    def count(self, *kinds: str) -> int:
        return sum(action.kind in kinds for action in self.actions)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    def summary(self) -> str:
        """`Plan: X to create, Y to replace, Z to delete.` (dedupes delete too)."""
        return (f"Plan: {self.count('create')} to create, {self.count('replace')} to replace, "
                f"{self.count('delete', 'dedupe')} to delete.")

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref, "commit": self.commit, "accounts": list(self.accounts),
            "prune": self.prune,
            "summary": {"create": self.count("create"), "replace": self.count("replace"),
                        "delete": self.count("delete"), "dedupe": self.count("dedupe"),
                        "unchanged": self.unchanged},
            "actions": [action.to_dict() for action in self.actions],
        }


def compute_plan(desired: Iterable[Desired], remote: dict[str, list[dict[str, Any]]],
                 owned: set[Key], *, ref: str = "HEAD", commit: str = "",
                 prune: bool = False) -> Plan:
    """The actions that make REMOTE (templates by account) equal to DESIRED."""
    wanted = {item.key: item for item in desired}
    found: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for items in remote.values():
        for template in items:
            found[(str(template.get("account_id")), str(template.get("name")))].append(template)
    actions: list[Action] = []
    unchanged = 0
    for key in sorted(set(wanted) | set(found)):
        account, name = key
        remotes = sorted(found.get(key, []), key=_age)
        item = wanted.get(key)
        if item is None:
            if key in owned or prune:
                reason = "removed from git" if key in owned else "not defined in git (--prune)"
                actions.append(Action("delete", account, name, remote_ids=_ids(remotes),
                                      reason=reason))
            continue
        if not remotes:
            actions.append(Action("create", account, name, item.path, body=item.body))
            continue
        matching = [r for r in remotes if canonical_json(r) == item.canonical_json]
        if matching:
            kept = matching[0]
            extra = [r for r in remotes if r is not kept]
            if extra:
                actions.append(Action("dedupe", account, name, item.path, remote_ids=_ids(extra),
                                      kept_id=str(kept.get("id")),
                                      reason=f"{len(extra)} more template(s) with this name"))
            else:
                unchanged += 1
            continue
        body = item.body
        actions.append(Action("replace", account, name, item.path, remote_ids=_ids(remotes),
                              changes=tuple(diff(remotes[-1], body)), body=body))
    actions.sort(key=lambda a: (ORDER[a.kind], a.account_id, a.name))
    return Plan(ref, commit, tuple(sorted(remote)), tuple(actions), unchanged, prune)


def _age(item: dict[str, Any]) -> tuple[str, str]:
    return (str(item.get("created_at") or ""), str(item.get("id") or ""))


def _ids(items: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(item.get("id")) for item in items)


def diff(before: dict[str, Any], after: dict[str, Any]) -> Iterator[Change]:
    """Changed leaves between two templates' create fields (canonical forms), with
    credentials hidden on both sides (a hidden change still shows as one)."""
    old_tree, new_tree = canonical(before), canonical(after)
    old, new = dict(_leaves(old_tree)), dict(_leaves(new_tree))
    shown_old, shown_new = dict(_leaves(redact(old_tree))), dict(_leaves(redact(new_tree)))
    for path in sorted(set(old) | set(new), key=lambda p: (p.split(".")[0], p)):
        if old.get(path) != new.get(path):
            yield Change(path, *shown_change(old.get(path), new.get(path), shown_old.get(path),
                                             shown_new.get(path)))


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Flatten mappings (and lists of mappings) to dotted paths; other lists stay whole."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value
