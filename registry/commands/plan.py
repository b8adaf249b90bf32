"""`template-registry plan`: what sync would change, read from a commit and the API.

Exit codes: 0 (a plan was made), 1 (an API error), 2 (usage, configuration,
authentication, or templates at the commit that do not validate). With
--detailed-exitcode, as Terraform does: 0 no changes, 2 changes, 1 any error (the CLI
maps errors to codes; see registry.errors). With --fail-on-breaking, 1 when the plan
holds a breaking change (after printing it).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from registry.blobstore import BlobStore
from registry.compare import canonical_json
from registry.config import Config, Environment, load_config
from registry.errors import InvalidTemplates, RegistryError, UnsafeOperation
from registry.findings import Finding, has_errors
from registry.plan import Desired, Key, Plan, Safety, compute_plan
from registry.prices import price_table
from registry.render.findings import render_findings
from registry.render.terminal import escape

if TYPE_CHECKING:
    from registry.client import ApiClient


class Lister(Protocol):
    def list_templates(self, account_id: str) -> list[dict[str, Any]]: ...
    def list_models(self, account_id: str) -> list[dict[str, Any]]: ...


@dataclass
class Options:
    ref: str = "HEAD"
    root: str | None = None
    prune: bool = False
    api_url: str | None = None
    allow_deletes: int | None = None
    adopt: bool = False
    call_timeout: float = 60.0  # seconds per API call (the client's retry_deadline)
    env: str | None = None  # --env NAME: a configured environment (registry.environments)


def desired_state(config: Config, ref: str, store: BlobStore) -> tuple[str, list[Desired]]:
    """(commit id, templates) of REF; InvalidTemplates with the findings if they do not validate.

    Blobs checked before (by id, in STORE) are neither read nor parsed again.
    """
    from registry import gitrepo
    from registry.validation import Checked, check_many, registry_findings

    commit = gitrepo.commit_id(config.root, ref)
    entries = gitrepo.tree_entries(config.root, ref, config.templates)
    missing = sorted({blob for _, blob in entries if store.checked(blob) is None})
    raws = gitrepo.read_blobs(config.root, missing)
    checked = check_many([raws[b] for b in missing], with_body=True,
                         settings=config.content)
    for blob, (result, data) in zip(missing, checked, strict=True):
        kept = (json.dumps(data), canonical_json(data)) if data is not None else None
        store.put_checked(blob, result, kept)
    results, bodies = {}, {}
    for path, blob in entries:
        known = store.checked(blob)
        assert known is not None, "every blob was just checked"
        results[path], bodies[path] = known
    findings: list[Finding] = registry_findings(config, Checked.of(results),
                                                [path for path, _ in entries])
    if has_errors(findings):
        errors = [f for f in findings if f.severity == "error"]
        raise InvalidTemplates(f"The templates at {escape(ref)} ({commit[:12]}) do not "
                               "validate; nothing was planned:\n"
                               f"{render_findings(errors, len(entries), 'text')}")
    desired = []
    for path, _ in entries:
        identity, body = results[path].identity, bodies[path]
        if identity is None or body is None:  # the essential rules make this unreachable
            raise InvalidTemplates(f"{escape(path)} at {escape(ref)} does not load as a "
                                   "template; nothing was planned")
        desired.append(Desired(path, identity.account_id, identity.name, *body))
    return commit, desired


def desired_in(config: Config, ref: str, env: Environment) -> tuple[str, list[Desired]]:
    """(commit id, templates) of REF as environment ENV receives them: each template file
    of the commit with its patch from the commit's overlay, its account mapped; validated
    as `validate` checks that environment (InvalidTemplates with the findings if not)."""
    from registry import gitrepo
    from registry.rendering import render_environment

    commit = gitrepo.commit_id(config.root, ref)
    entries = gitrepo.tree_entries(config.root, ref, config.templates)
    patch_entries = (gitrepo.tree_entries(config.root, ref, env.overlay)
                     if env.overlay is not None else [])
    raws = gitrepo.read_blobs(config.root, [blob for _, blob in entries + patch_entries])
    findings, bodies = render_environment(
        config, env, {path: raws[blob] for path, blob in entries},
        {path: raws[blob] for path, blob in patch_entries})
    if has_errors(findings):
        errors = [f for f in findings if f.severity == "error"]
        raise InvalidTemplates(f"The templates at {escape(ref)} ({commit[:12]}) do not "
                               f"validate for environment {escape(env.name)}; nothing was "
                               f"planned:\n{render_findings(errors, len(entries), 'text')}")
    return commit, [Desired.from_body(path, bodies[path]) for path in sorted(bodies)]


@dataclass
class State:
    """What a plan (or a status) is computed from: the commit's templates, what its
    history owned (with the blobs that defined each key), and what the API holds."""

    commit: str
    desired: list[Desired]
    owned: dict[Key, set[str]]
    remote: dict[str, list[dict[str, Any]]]
    models: dict[str, list[dict[str, Any]]]
    env: Environment | None = None


def gather(config: Config, options: Options, client: Lister, store: BlobStore, *,
           also_owned_from: str | None = None) -> State:
    """Desired state from git, ownership from history, actual state from the API.

    ALSO_OWNED_FROM (a rollback) adds what that commit's history defined to what is owned.
    """
    from registry import gitrepo
    from registry.environments import environment, map_account
    from registry.history import owned_blobs

    if gitrepo.is_shallow(config.root):
        raise UnsafeOperation(
            "this clone is shallow: ownership comes from the whole history, and without it "
            "deleted templates would silently stay. Fetch it: `git fetch --unshallow`; in "
            "GitHub Actions, actions/checkout with `fetch-depth: 0`; in GitLab CI, "
            "`GIT_DEPTH: 0`.")
    env = environment(config, options.env) if options.env is not None else None
    if env is None:
        commit, desired = desired_state(config, options.ref, store)
    else:
        commit, desired = desired_in(config, options.ref, env)
    owned = owned_blobs(config.root, options.ref, config.templates, store)
    if also_owned_from is not None:
        older = owned_blobs(config.root, also_owned_from, config.templates, store)
        for key, blobs in older.items():
            owned.setdefault(key, set()).update(blobs)
    managed = set(config.accounts)
    if env is not None:  # ownership, and the accounts to list, in this environment's ids
        owned = {(map_account(a, env), n): blobs for (a, n), blobs in owned.items()}
        managed = {map_account(a, env) for a in managed}
    accounts = sorted({d.key[0] for d in desired} | {k[0] for k in owned} | managed)
    # Templates and models of every account at once: one list call per page per account
    # for each kind, nothing more.
    with ThreadPoolExecutor(max_workers=min(8, max(1, 2 * len(accounts)))) as pool:
        templates = [pool.submit(client.list_templates, a) for a in accounts]
        models = [pool.submit(client.list_models, a) for a in accounts]
        remote = {a: f.result() for a, f in zip(accounts, templates, strict=True)}
        used = {a: f.result() for a, f in zip(accounts, models, strict=True)}
    return State(commit, desired, owned, remote, used, env)


def build_plan(config: Config, options: Options, client: Lister, *,
               also_owned_from: str | None = None) -> Plan:
    """The plan of `gather`'s state, under the configured deletion guard, priced with
    the configured price table."""
    from registry.history import EnvironmentVersions, versions

    store = BlobStore(config.root, settings=config.content.key())
    try:
        state = gather(config, options, client, store, also_owned_from=also_owned_from)
        safety = Safety(config.max_deletes, options.allow_deletes, config.protect)
        if state.env is None:
            def known(key: Key) -> set[str]:
                return versions(config.root, state.owned.get(key, set()), store)
        else:
            rendered = EnvironmentVersions(config, state.env, options.ref)

            def known(key: Key) -> set[str]:
                return rendered.of(state.owned.get(key, set()))
        return compute_plan(state.desired, state.remote, set(state.owned), ref=options.ref,
                            commit=state.commit, prune=options.prune, safety=safety,
                            adopt=options.adopt, models=state.models,
                            prices=price_table(config.prices), versions=known)
    finally:
        store.save()


def connect(config: Config, options: Options) -> ApiClient:
    """The API client of OPTIONS: with --env, that environment's base URL and key
    variable (never the default key), else the default ones."""
    from registry.client import ApiClient
    from registry.environments import environment

    env = environment(config, options.env) if options.env is not None else None
    return ApiClient.from_env(api_url=options.api_url, config_base_url=config.base_url,
                              env_base_url=env.base_url if env else None,
                              key_env=env.api_key_env if env else None,
                              retry_deadline=options.call_timeout)


def plan_command(options: Options, *, fmt: str = "text", detailed_exitcode: bool = False,
                 fail_on_breaking: bool = False) -> int:
    from registry.render.plan import render_plan

    config = load_config(options.root)
    with connect(config, options) as client:
        plan = build_plan(config, options, client)
    print(render_plan(plan, fmt))
    if fail_on_breaking and plan.breaking:
        names = ", ".join(f"{a.account_id}/{a.name}" for a in plan.breaking)
        raise RegistryError(f"{len(plan.breaking)} breaking change(s) planned ({names}); "
                            "failing as --fail-on-breaking asks")
    return (2 if plan.has_changes else 0) if detailed_exitcode else 0
