"""`template-registry plan`: what sync would change, read from a commit and the API.

Exit codes: 0 (a plan was made), 1 (an API error), 2 (usage, configuration,
authentication, or templates at the commit that do not validate). With
--detailed-exitcode, as Terraform does: 0 no changes, 2 changes, 1 any error (the CLI
maps errors to codes; see registry.errors).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from registry.blobstore import BlobStore
from registry.compare import canonical_json
from registry.config import Config, load_config
from registry.errors import InvalidTemplates
from registry.findings import Finding, has_errors
from registry.plan import Desired, Plan, compute_plan
from registry.report import render


class Lister(Protocol):
    def list_templates(self, account_id: str) -> list[dict[str, Any]]: ...


@dataclass
class Options:
    ref: str = "HEAD"
    root: str | None = None
    prune: bool = False
    api_url: str | None = None
    call_timeout: float = 60.0  # seconds per API call (the client's retry_deadline)


def desired_state(config: Config, ref: str, store: BlobStore) -> tuple[str, list[Desired]]:
    """(commit id, templates) of REF; InvalidTemplates with the findings if they do not validate.

    Blobs checked before (by id, in STORE) are neither read nor parsed again.
    """
    from registry import gitrepo
    from registry.validation import check_many, registry_findings

    commit = gitrepo.commit_id(config.root, ref)
    entries = gitrepo.tree_entries(config.root, ref, config.templates)
    missing = sorted({blob for _, blob in entries if store.checked(blob) is None})
    raws = gitrepo.read_blobs(config.root, missing)
    checked = check_many([raws[b] for b in missing], with_body=True)
    for blob, (result, data) in zip(missing, checked, strict=True):
        kept = (json.dumps(data), canonical_json(data)) if data is not None else None
        store.put_checked(blob, result, kept)
    results, bodies = {}, {}
    for path, blob in entries:
        known = store.checked(blob)
        assert known is not None, "every blob was just checked"
        results[path], bodies[path] = known
    findings: list[Finding] = registry_findings(config, results, [path for path, _ in entries])
    if has_errors(findings):
        errors = [f for f in findings if f.severity == "error"]
        raise InvalidTemplates(f"The templates at {ref} ({commit[:12]}) do not validate; "
                               f"nothing was planned:\n{render(errors, len(entries), 'text')}")
    desired = []
    for path, _ in entries:
        identity, body = results[path].identity, bodies[path]
        assert identity is not None and body is not None, "valid templates load"
        desired.append(Desired(path, identity.account_id, identity.name, *body))
    return commit, desired


def build_plan(config: Config, options: Options, client: Lister) -> Plan:
    """Desired state from git, ownership from history, actual state from the API."""
    from registry.history import owned_keys

    store = BlobStore(config.root)
    try:
        commit, desired = desired_state(config, options.ref, store)
        owned = owned_keys(config.root, options.ref, config.templates, store)
    finally:
        store.save()
    accounts = sorted({d.key[0] for d in desired} | {k[0] for k in owned} | set(config.accounts))
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(accounts)))) as pool:
        remote = dict(zip(accounts, pool.map(client.list_templates, accounts), strict=True))
    return compute_plan(desired, remote, owned, ref=options.ref, commit=commit,
                        prune=options.prune)


def plan_command(options: Options, *, fmt: str = "text", detailed_exitcode: bool = False) -> int:
    from registry.client import ApiClient
    from registry.plan_render import render_plan

    config = load_config(options.root)
    with ApiClient.from_env(api_url=options.api_url, config_base_url=config.base_url,
                            retry_deadline=options.call_timeout) as client:
        plan = build_plan(config, options, client)
    print(render_plan(plan, fmt))
    return (2 if plan.has_changes else 0) if detailed_exitcode else 0
