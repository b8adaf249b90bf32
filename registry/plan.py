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
- not desired, never owned (made by hand) -> left alone ("not managed"), unless prune
- desired, remotes all different, and none of them is a version git ever held (made by
  hand under the same name) -> takeover: replaced only with --adopt
Equality is on the create fields only, with empty optional fields treated as absent.

Then the deletion guard (`Safety`): a protected template is never deleted (a
replacement still creates the new one, and keeps the old); and unless --allow-deletes
allows that many, a plan that deletes more than `max_deletes` templates, or every
managed template of an account, holds back all its deletes. A held action stays in the
plan, with the reason, so that the plan says so before anything runs.

For review, each action also says what it breaks (registry.breaking) and, when the plan
is made with prices, the monthly cost of the template it removes and of the one it
creates (registry.cost); the plan totals the change.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any, Literal, NamedTuple

from registry import breaking, cost
from registry.compare import canonical, canonical_json
from registry.config import DEFAULT_MAX_DELETES
from registry.cost import Delta, Estimate, Total
from registry.prices import BASIS, HOURS_PER_MONTH, PriceTable
from registry.redact import redact, shown_change

Kind = Literal["create", "replace", "takeover", "delete", "dedupe"]
Key = tuple[str, str]
ORDER: dict[str, int] = {"create": 0, "replace": 1, "takeover": 2, "dedupe": 3, "delete": 4}
# Every canonical JSON a key's files ever had in history (registry.history.versions).
Versions = Callable[[Key], set[str]]


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


class ModelRef(NamedTuple):
    """A model built on a template: its id, name, and the template id it stores."""

    id: str
    name: str
    template_id: str


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
    # Why its deletes are held back ("" = nothing held): a held delete or dedupe does
    # nothing; a held replacement creates the new template and keeps the old one(s).
    held: str = ""
    # A replacement of a template no file ever defined (made by hand), allowed by --adopt.
    takeover: bool = False
    # Why applying it breaks models built on the template or their callers (empty:
    # nothing breaks); see registry.breaking.
    breaking: tuple[str, ...] = ()
    # The models built on the templates it deletes (they are moved to the new template
    # first; a delete of a used template is refused). None: the plan listed no models.
    used_by: tuple[ModelRef, ...] | None = None
    # Monthly cost of the template it deletes (the newest remote one) and of the one it
    # creates; None when the plan was made without prices or there is no such template.
    cost_before: Estimate | None = field(default=None, compare=False)
    cost_after: Estimate | None = field(default=None, compare=False)

    @property
    def deletes(self) -> bool:
        """Whether applying it deletes a remote template."""
        return bool(self.remote_ids) and not self.held

    @property
    def changed_fields(self) -> list[str]:
        return [change.field for change in self.changes]

    @property
    def cost_delta(self) -> Delta | None:
        """How applying it changes the monthly cost (None: not priced). What it does not
        do does not count: a held delete keeps the old template, a takeover waits."""
        if self.cost_before is None and self.cost_after is None:
            return None
        if self.kind == "takeover":
            return cost.delta(None, None)
        return cost.delta(self.cost_before if self.deletes else None, self.cost_after)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("body")
        data["remote_ids"] = list(self.remote_ids)
        data["changes"] = [asdict(c) for c in self.changes]
        data["breaking"] = list(self.breaking)
        data["used_by"] = None if self.used_by is None else [m._asdict() for m in self.used_by]
        for name in ("cost_before", "cost_after"):
            item = getattr(self, name)
            data[name] = None if item is None else item.to_dict()
        change = self.cost_delta
        data["cost_change"] = None if change is None else change.to_dict()
        return data


@dataclass(frozen=True)
class Safety:
    """What the deletion guard allows (config `max_deletes`, `protect`; --allow-deletes)."""

    max_deletes: int = DEFAULT_MAX_DELETES
    allow_deletes: int | None = None
    protect: tuple[str, ...] = ()

    def protected_by(self, account_id: str, name: str) -> str | None:
        """The `protect` pattern matching ACCOUNT_ID/NAME, if any (fnmatch, case-sensitive)."""
        key = f"{account_id}/{name}"
        return next((p for p in self.protect if fnmatchcase(key, p)), None)


@dataclass(frozen=True)
class Unmanaged:
    """Remote templates of a managed account, under one name, that no file ever defined."""

    account_id: str
    name: str
    remote_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "name": self.name,
                "remote_ids": list(self.remote_ids)}


@dataclass(frozen=True)
class Plan:
    ref: str
    commit: str
    accounts: tuple[str, ...]
    actions: tuple[Action, ...]
    unchanged: int
    prune: bool = False
    # Set when the deletion guard held deletes back: what tripped it and how to allow it.
    guard: str = ""
    # Things a reviewer should know that are not actions (e.g. near-duplicate names).
    warnings: tuple[str, ...] = ()
    # Left alone: made by hand (import brings them into git; --prune deletes them).
    unmanaged: tuple[Unmanaged, ...] = ()

    def count(self, *kinds: str) -> int:
        return sum(action.kind in kinds and not (action.held and action.kind != "replace")
                   for action in self.actions)

    @property
    def held(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if action.held)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    @property
    def breaking(self) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if action.breaking)

    @property
    def cost_change(self) -> Total | None:
        """The monthly change of the whole plan (None: made without prices, or nothing in
        it adds or removes a template)."""
        deltas = [d for d in (action.cost_delta for action in self.actions) if d is not None]
        return cost.total(deltas) if deltas else None

    def summary(self) -> str:
        """`Plan: X to create, Y to replace, Z to delete.` (dedupes delete too; held
        deletes are not counted, and are named after)."""
        text = (f"Plan: {self.count('create')} to create, {self.count('replace')} to replace, "
                f"{self.count('delete', 'dedupe')} to delete.")
        held = sum(len(a.remote_ids) for a in self.held)
        extra = [f"{held} deletion(s) held back"] if held else []
        if self.count("takeover"):
            extra.append(f"{self.count('takeover')} takeover(s) need --adopt")
        return text[:-1] + "; " + "; ".join(extra) + "." if extra else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref, "commit": self.commit, "accounts": list(self.accounts),
            "prune": self.prune,
            "summary": {"create": self.count("create"), "replace": self.count("replace"),
                        "delete": self.count("delete"), "dedupe": self.count("dedupe"),
                        "takeover": self.count("takeover"), "held": len(self.held),
                        "unchanged": self.unchanged, "not_managed": len(self.unmanaged)},
            "guard": self.guard,
            "warnings": list(self.warnings),
            "not_managed": [item.to_dict() for item in self.unmanaged],
            "breaking": len(self.breaking),
            "cost_change": self._cost_dict(),
            "actions": [action.to_dict() for action in self.actions],
        }

    def _cost_dict(self) -> dict[str, Any] | None:
        change = self.cost_change
        if change is None:
            return None
        return {**change.to_dict(), "basis": BASIS, "hours_per_month": HOURS_PER_MONTH}


def compute_plan(desired: Iterable[Desired], remote: dict[str, list[dict[str, Any]]],
                 owned: set[Key], *, ref: str = "HEAD", commit: str = "",
                 prune: bool = False, safety: Safety | None = None,
                 versions: Versions | None = None, adopt: bool = False,
                 prices: PriceTable | None = None,
                 models: dict[str, list[dict[str, Any]]] | None = None) -> Plan:
    """The actions that make REMOTE (templates by account) equal to DESIRED.

    VERSIONS tells a template sync made (some version of its file) from one made by hand;
    without it, every differing remote template counts as sync's own. With PRICES, each
    action carries the monthly cost of what it removes and creates. With MODELS (listed by
    account), each action that deletes templates names the models built on them.
    """
    wanted = {item.key: item for item in desired}
    found: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for items in remote.values():
        for template in items:
            found[(str(template.get("account_id")), str(template.get("name")))].append(template)
    actions: list[Action] = []
    unmanaged: list[Unmanaged] = []
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
            else:
                unmanaged.append(Unmanaged(account, name, _ids(remotes)))
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
        made_by_hand = versions is not None and not (
            {canonical_json(r) for r in remotes} & versions(key))
        kind: Kind = "takeover" if made_by_hand and not adopt else "replace"
        actions.append(Action(kind, account, name, item.path, remote_ids=_ids(remotes),
                              changes=tuple(diff(remotes[-1], body)), body=body,
                              takeover=made_by_hand,
                              reason="a template no file ever defined has this name; "
                                     "sync --adopt replaces it" if kind == "takeover" else ""))
    actions.sort(key=lambda a: (ORDER[a.kind], a.account_id, a.name))
    actions, guard = _guard(actions, {key[0] for key in wanted}, safety or Safety())
    actions = _review(actions, found, prices)
    if models is not None:
        actions = _dependents(actions, models)
    warnings = _near_names(wanted, found, {(a.account_id, a.name) for a in actions})
    return Plan(ref, commit, tuple(sorted(remote)), tuple(actions), unchanged, prune, guard,
                warnings, tuple(unmanaged))


def _guard(actions: list[Action], desired_accounts: set[str],
           safety: Safety) -> tuple[list[Action], str]:
    """Hold back protected deletes, then every delete if the guard trips; (actions, why)."""
    out = []
    for action in actions:
        pattern = safety.protected_by(action.account_id, action.name)
        if pattern is not None and action.kind in ("replace", "delete", "dedupe"):
            action = replace(action, held=f"protected by protect = {pattern!r}")
        out.append(action)
    deletes = [a for a in out if a.kind == "delete" and a.deletes]
    count = sum(len(a.remote_ids) for a in deletes)
    emptied = sorted({a.account_id for a in deletes} - desired_accounts)
    reasons = []
    if count > safety.max_deletes:
        reasons.append(f"{count} deletion(s) exceed max_deletes ({safety.max_deletes})")
    if emptied:
        reasons.append("it would delete every managed template of account(s) "
                       + ", ".join(repr(a) for a in emptied))
    if not reasons or (safety.allow_deletes is not None and count <= safety.allow_deletes):
        return out, ""
    why = "; ".join(reasons)
    if safety.allow_deletes is not None:
        why += f" (--allow-deletes {safety.allow_deletes} allows fewer)"
    why += f": held back; run with --allow-deletes {count} to allow them"
    held = {id(a) for a in deletes}
    return [replace(a, held=why) if id(a) in held else a for a in out], why


def _review(actions: list[Action], found: dict[Key, list[dict[str, Any]]],
            prices: PriceTable | None) -> list[Action]:
    """Each action with what it breaks and, with PRICES, the cost of the template it
    deletes (the newest remote one, as `diff` compares) and of the one it creates."""
    def newest(key: Key) -> dict[str, Any] | None:
        items = sorted(found.get(key, []), key=_age)
        return items[-1] if items else None

    moved = breaking.moves([(a.account_id, a.name) for a in actions if a.kind == "delete"],
                           [(a.account_id, a.name) for a in actions if a.kind == "create"])
    out = []
    for action in actions:
        key = (action.account_id, action.name)
        old = newest(key) if action.kind in ("replace", "takeover", "delete") else None
        new = action.body if action.kind != "delete" else None
        why = breaking.reasons(old, new) if old is not None and new is not None else ()
        for other in moved.get(key, []):
            source, target = (other, key) if action.kind == "create" else (key, other)
            why += (breaking.move(source[0], target[0]),)
            prior = newest(source)
            if action.kind == "create" and prior is not None and new is not None:
                why += breaking.reasons(prior, new)
        if action.kind == "dedupe" or prices is None:
            out.append(replace(action, breaking=why))
            continue
        out.append(replace(action, breaking=why,
                           cost_before=None if old is None else cost.estimate(old, prices),
                           cost_after=None if new is None else cost.estimate(new, prices)))
    return out


def _dependents(actions: list[Action], models: dict[str, list[dict[str, Any]]]
                ) -> list[Action]:
    """Each action with the models that use the templates it would delete."""
    using: dict[str, list[ModelRef]] = defaultdict(list)
    for items in models.values():
        for model in items:
            template_id = model.get("model_template_id")
            if isinstance(template_id, str):
                using[template_id].append(ModelRef(str(model["id"]), str(model.get("name")),
                                                   template_id))
    return [replace(a, used_by=tuple(sorted((m for t in a.remote_ids for m in using.get(t, ())),
                                            key=lambda m: (m.name, m.id))))
            for a in actions]


def _near_names(wanted: dict[Key, Desired], found: dict[Key, list[dict[str, Any]]],
                acted: set[Key]) -> tuple[str, ...]:
    """Remote templates left alone whose name equals a file's but for case or spaces.

    `validate` forbids such pairs in git, since people pick templates by name.
    """
    files = {(account, name.strip().casefold()): item for (account, name), item in wanted.items()}
    warnings = []
    for key in sorted(set(found) - set(wanted) - acted):
        item = files.get((key[0], key[1].strip().casefold()))
        if item is not None:
            ids = ", ".join(_ids(found[key]))
            warnings.append(f"remote template {key[1]!r} (id {ids}) in account {key[0]!r} differs "
                            f"only in case or spaces from {item.name!r} ({item.path}); rename "
                            "or delete one of them")
    return tuple(warnings)


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
