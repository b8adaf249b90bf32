"""The model-templates API (docs/api.md) as a FastAPI app, for `template-registry serve`.

The template calls are here; the model calls (`/v4/models`) in registry.server.model_routes;
what both share (auth, accounts, bodies) in registry.server.deps.

Where api.md leaves things open, this follows what a FastAPI-based platform does:
- Auth first: every `/v4/` call needs `x-api-key`; missing or wrong -> 401
  `{"detail": "..."}`, before parameters or body are looked at. With `--insecure`
  no key is asked for. `/healthz` (for "is it up?") needs none.
- Accounts: without `--account` the key may act in any account. With it, only in those:
  an `x-selected-account-id` header naming another account -> 403 on any call; a create
  whose body `account_id` is another account -> 403 (after the body validated); get or
  delete of a template owned by another account -> 403 (an unknown id is 404 first);
  a list with `account_id=` another account -> 403. The body's `account_id` decides the
  owner of a created template; the header only has to be an allowed account.
- List filter: `account_id=` if given; else the `x-selected-account-id` account if that
  header is sent; else every account the key may see. Creation order, exact total;
  pages past the end answer `items: []`. With `--max-page-size N` a page holds at most
  N items whatever `limit` asks, and `items_per_page` says so.
- 422 answers have FastAPI's shape. The create body is read as JSON and validated with
  `registry.model.ModelTemplateRequest` itself (strict, unknown fields rejected); its
  errors get `"body"` prefixed to `loc`, and a body that is not JSON is `json_invalid`,
  as FastAPI reports them.
- Create answers 200 (FastAPI's default) with the request fields as the model dumps them
  (absent optional fields as null) plus `id` (uuid4 hex), `created_at` (UTC, ISO 8601),
  `created_by_user_id` (a fixed id: the key is never echoed or hashed into answers) and
  `created_by_identity_type` `"user"`. Delete answers `{"success": true, "count": 1}`;
  a deleted id is 404 from then on.
- Deleting a template that models still name: done, the models keep the dangling id (as
  the real API may do); with `--refuse-used-template-delete`, 409 naming the models.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from registry.model import ModelTemplateRequest
from registry.server import model_routes
from registry.server.deps import (
    IDENTITY_TYPE,
    LOCAL_USER_ID,
    MAX_LIMIT,
    Caller,
    not_found,
    page_limit,
    require_account,
    validated_body,
    visible_accounts,
)
from registry.server.faults import (
    TEMPLATES_PATH,
    TRICKLE_PAUSE_SECONDS,
    FaultChooser,
    FaultInjector,
    FaultMiddleware,
    stderr_log,
)
from registry.server.settings import Settings
from registry.server.store import Record, Store

PATH = TEMPLATES_PATH
SHOWN_USERS = 10  # a 409 names at most this many of the models that use the template


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The API without faults; `store` defaults to one opened from `settings.db`."""
    app = FastAPI(
        title="Model templates API (local)",
        version="v4",
        description="A local implementation of the model-templates API, for tests and demos.",
    )
    app.state.settings = settings
    app.state.store = store if store is not None else Store(settings.db)
    app.include_router(model_routes.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(PATH)
    async def list_templates(
        selected: Caller,
        page: Annotated[int, Query(ge=1)] = 1,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        account_id: Annotated[str | None, Query()] = None,
    ) -> Response:
        accounts = visible_accounts(settings, account_id, selected)
        limit = page_limit(settings, limit)
        items, total = await run_in_threadpool(
            _store(app).list_json, accounts, page=page, limit=limit
        )
        # The stored JSON texts are spliced in as they are: a page of 10,000 templates is
        # answered without decoding and re-encoding each one.
        tail = json.dumps({"total_item_count": total, "current_page": page,
                           "items_per_page": limit})
        content = '{"items":[' + ",".join(items) + "]," + tail[1:]
        return Response(content, media_type="application/json")

    @app.post(PATH)
    async def create_template(request: Request, selected: Caller) -> JSONResponse:
        body = validated_body(await request.body(), ModelTemplateRequest)
        require_account(settings, body.account_id)
        record = _new_record(body)
        await run_in_threadpool(_store(app).create, record)
        return JSONResponse(record)

    @app.get(PATH + "/{model_template_id}")
    async def get_template(model_template_id: str, selected: Caller) -> JSONResponse:
        record = await run_in_threadpool(_store(app).get, model_template_id)
        return JSONResponse(_owned(settings, record, model_template_id))

    @app.delete(PATH + "/{model_template_id}")
    async def delete_template(model_template_id: str, selected: Caller) -> JSONResponse:
        await run_in_threadpool(_delete_template, _store(app), settings, model_template_id)
        return JSONResponse({"success": True, "count": 1})

    return app


def create_asgi(
    settings: Settings,
    store: Store | None = None,
    *,
    chooser: FaultChooser | None = None,
    log: Callable[[str], None] = stderr_log,
    trickle_pause: float = TRICKLE_PAUSE_SECONDS,
    request_log: Callable[[str], None] | None = None,
) -> ASGIApp:
    """The app as served: wrapped in the fault/latency layer when faults, latency or a
    request log are switched on.

    The layer must be outermost (see registry.server.faults); `chooser` overrides the
    seeded `FaultInjector` made from the settings (tests use it to pick a fault kind, and
    a short `trickle_pause`); `request_log` takes each line of the request log.
    """
    app = create_app(settings, store)
    if chooser is None and settings.fault_rate > 0:
        chooser = FaultInjector(settings.fault_rate, settings.fault_seed, settings.fault_kinds)
    if chooser is None and settings.latency_ms <= 0 and request_log is None:
        return app
    return FaultMiddleware(app, chooser=chooser, latency_ms=settings.latency_ms, log=log,
                           trickle_pause=trickle_pause, request_log=request_log)


def _store(app: FastAPI) -> Store:
    store: Store = app.state.store
    return store


def _new_record(body: ModelTemplateRequest) -> Record:
    record: Record = body.model_dump(mode="json")
    record.update(
        id=uuid.uuid4().hex,
        created_at=datetime.now(UTC).isoformat(),
        created_by_user_id=LOCAL_USER_ID,
        created_by_identity_type=IDENTITY_TYPE,
    )
    return record


def _delete_template(store: Store, settings: Settings, template_id: str) -> None:
    """Delete (404, 403 as for a get); 409 while models use it, if the server refuses that."""
    with store.transaction():
        _owned(settings, store.get(template_id), template_id)
        if settings.refuse_used_template_delete:
            users = store.models_using(template_id)
            if users:
                raise HTTPException(status_code=409, detail=_in_use(template_id, users))
        store.delete(template_id)


def _in_use(template_id: str, model_ids: list[str]) -> str:
    shown = ", ".join(model_ids[:SHOWN_USERS])
    more = len(model_ids) - SHOWN_USERS
    if more > 0:
        shown += f" and {more} more"
    return (f"Model template {template_id!r} is used by {len(model_ids)} model(s): {shown}; "
            "move them to another template (PATCH /v4/models/{id} with model_template_id) "
            "or delete them first")


def _owned(settings: Settings, record: Record | None, template_id: str) -> Record:
    """The record if it exists (else 404) and the key may act in its account (else 403)."""
    if record is None:
        raise not_found("Model template", template_id)
    require_account(settings, str(record["account_id"]))
    return record
