"""`template-registry status`: each template of a commit beside what the API holds.

Read-only. Exit 0 when every template is in sync, 1 when one differs or is missing (so a
script can ask "is the API up to date?"), and the usual 2 for usage or configuration.
"""

from __future__ import annotations

from registry.blobstore import BlobStore
from registry.commands.plan import Options, connect, gather
from registry.config import load_config


def status_command(options: Options, *, fmt: str = "text") -> int:
    from registry.render.status import render_status
    from registry.status import compute_status

    config = load_config(options.root)
    store = BlobStore(config.root, settings=config.content.key())
    try:
        with connect(config, options) as client:
            state = gather(config, options, client, store)
    finally:
        store.save()
    status = compute_status(state.desired, state.remote, set(state.owned), ref=options.ref,
                            commit=state.commit, models=state.models)
    print(render_status(status, fmt))
    return 0 if status.count("in sync") == len(status.rows) else 1
