"""Status: each template of a commit beside what the API holds, and what git does not manage.

A plain value computed by a pure function from the same inputs as the plan (desired
templates, remote templates by account, owned keys), so `status` and `plan` can never
disagree about what is in sync. Nothing here does I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from registry.compare import canonical_json
from registry.plan import Desired, Key, ModelRef

State = Literal["in sync", "differs", "missing"]


@dataclass(frozen=True)
class Row:
    """One template of the commit: where its file is and what the API holds for it."""

    account_id: str
    name: str
    path: str
    state: State
    remote_ids: tuple[str, ...]  # oldest first; the first equal one is the one kept
    models: tuple[ModelRef, ...] = ()  # the models built on any of these remote ids

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "name": self.name, "path": self.path,
                "state": self.state, "remote_ids": list(self.remote_ids),
                "models": [m._asdict() for m in self.models]}


@dataclass(frozen=True)
class Status:
    ref: str
    commit: str
    rows: tuple[Row, ...]
    # Remote templates of managed accounts that no file ever defined: (account, name, ids).
    unmanaged: tuple[tuple[str, str, tuple[str, ...]], ...]

    def count(self, state: State) -> int:
        return sum(row.state == state for row in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "commit": self.commit,
                "summary": {"in sync": self.count("in sync"), "differs": self.count("differs"),
                            "missing": self.count("missing"),
                            "not managed": len(self.unmanaged)},
                "templates": [row.to_dict() for row in self.rows],
                "not_managed": [{"account_id": a, "name": n, "remote_ids": list(ids)}
                                for a, n, ids in self.unmanaged]}


def compute_status(desired: Iterable[Desired], remote: dict[str, list[dict[str, Any]]],
                   owned: set[Key], *, ref: str = "HEAD", commit: str = "",
                   models: dict[str, list[dict[str, Any]]] | None = None) -> Status:
    """Every desired template's state (and the models on it), then the remote templates
    no file ever defined."""
    using: dict[str, list[ModelRef]] = defaultdict(list)
    for items in (models or {}).values():
        for model in items:
            if isinstance(template_id := model.get("model_template_id"), str):
                using[template_id].append(ModelRef(str(model["id"]), str(model.get("name")),
                                                   template_id))
    found: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for items in remote.values():
        for template in items:
            found[(str(template.get("account_id")), str(template.get("name")))].append(template)
    rows = []
    wanted = set()
    for item in sorted(desired, key=lambda d: d.key):
        wanted.add(item.key)
        remotes = sorted(found.get(item.key, []),
                         key=lambda r: (str(r.get("created_at") or ""), str(r.get("id") or "")))
        equal = any(canonical_json(r) == item.canonical_json for r in remotes)
        state: State = "in sync" if equal else ("differs" if remotes else "missing")
        ids = tuple(str(r.get("id")) for r in remotes)
        rows.append(Row(item.account_id, item.name, item.path, state, ids,
                        tuple(sorted((m for i in ids for m in using.get(i, ())),
                                     key=lambda m: (m.name, m.id)))))
    unmanaged = tuple((key[0], key[1], tuple(str(r.get("id")) for r in found[key]))
                      for key in sorted(set(found) - wanted - owned))
    return Status(ref, commit, tuple(rows), unmanaged)
