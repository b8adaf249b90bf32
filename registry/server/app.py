"""The model-templates API (docs/api.md) as a FastAPI app, for `template-registry serve`.

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
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from registry.model import ModelTemplateRequest
from registry.server.faults import (
    LIST_PATH,
    TRICKLE_PAUSE_SECONDS,
    FaultChooser,
    FaultInjector,
    FaultMiddleware,
    stderr_log,
)
from registry.server.settings import Settings
from registry.server.store import Record, Store

PATH = LIST_PATH
MAX_LIMIT = 10000
LOCAL_USER_ID = uuid.uuid5(uuid.NAMESPACE_URL, "template-registry-serve/local-user").hex
IDENTITY_TYPE = "user"

_api_key_header = APIKeyHeader(name="x-api-key", auto_error=False)


def _caller(
    request: Request,
    key: Annotated[str | None, Depends(_api_key_header)],
    selected: Annotated[str | None, Header(alias="x-selected-account-id")] = None,
) -> str | None:
    """Authenticate, check the selected account, and return it (None when absent)."""
    settings: Settings = request.app.state.settings
    if not settings.key_matches(key):
        detail = "Invalid API key" if key else "Missing API key (send it in x-api-key)"
        raise HTTPException(status_code=401, detail=detail)
    if selected:
        _require_account(settings, selected)
        return selected
    return None


Caller = Annotated[str | None, Depends(_caller)]


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The API without faults; `store` defaults to one opened from `settings.db`."""
    app = FastAPI(
        title="Model templates API (local)",
        version="v4",
        description="A local implementation of the model-templates API, for tests and demos.",
    )
    app.state.settings = settings
    app.state.store = store if store is not None else Store(settings.db)

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
        accounts = _visible_accounts(settings, account_id, selected)
        if settings.max_page_size is not None:
            limit = min(limit, settings.max_page_size)
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
        body = _validated_body(await request.body())
        _require_account(settings, body.account_id)
        record = _new_record(body)
        await run_in_threadpool(_store(app).create, record)
        return JSONResponse(record)

    @app.get(PATH + "/{model_template_id}")
    async def get_template(model_template_id: str, selected: Caller) -> JSONResponse:
        record = await run_in_threadpool(_store(app).get, model_template_id)
        return JSONResponse(_owned(settings, record, model_template_id))

    @app.delete(PATH + "/{model_template_id}")
    async def delete_template(model_template_id: str, selected: Caller) -> JSONResponse:
        store = _store(app)
        _owned(settings, await run_in_threadpool(store.get, model_template_id), model_template_id)
        if not await run_in_threadpool(store.delete, model_template_id):
            raise _not_found(model_template_id)  # deleted meanwhile by another request
        return JSONResponse({"success": True, "count": 1})

    return app


def create_asgi(
    settings: Settings,
    store: Store | None = None,
    *,
    chooser: FaultChooser | None = None,
    log: Callable[[str], None] = stderr_log,
    trickle_pause: float = TRICKLE_PAUSE_SECONDS,
) -> ASGIApp:
    """The app as served: wrapped in the fault/latency layer when either is switched on.

    The layer must be outermost (see registry.server.faults); `chooser` overrides the
    seeded `FaultInjector` made from the settings (tests use it to pick a fault kind, and
    a short `trickle_pause`).
    """
    app = create_app(settings, store)
    if chooser is None and settings.fault_rate > 0:
        chooser = FaultInjector(settings.fault_rate, settings.fault_seed, settings.fault_kinds)
    if chooser is None and settings.latency_ms <= 0:
        return app
    return FaultMiddleware(app, chooser=chooser, latency_ms=settings.latency_ms, log=log,
                           trickle_pause=trickle_pause)


def _store(app: FastAPI) -> Store:
    store: Store = app.state.store
    return store


def _require_account(settings: Settings, account_id: str) -> None:
    if not settings.may_act_in(account_id):
        raise HTTPException(
            status_code=403, detail=f"This API key may not act in account {account_id!r}"
        )


def _visible_accounts(
    settings: Settings, account_id: str | None, selected: str | None
) -> Collection[str] | None:
    """The accounts a list covers; None means every account."""
    if account_id is not None:
        _require_account(settings, account_id)
        return (account_id,)
    if selected is not None:
        return (selected,)
    return settings.accounts or None


def _validated_body(raw: bytes) -> ModelTemplateRequest:
    """Parse and validate a create body, raising 422 errors in FastAPI's own shape."""
    if not raw.strip():
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        data: Any = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body", getattr(exc, "pos", 0)),
              "msg": "JSON decode error", "input": {},
              "ctx": {"error": getattr(exc, "msg", "invalid encoding")}}]
        ) from None
    try:
        return ModelTemplateRequest.model_validate(data)
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)
        ]
        raise RequestValidationError(errors) from None


def _new_record(body: ModelTemplateRequest) -> Record:
    record: Record = body.model_dump(mode="json")
    record.update(
        id=uuid.uuid4().hex,
        created_at=datetime.now(UTC).isoformat(),
        created_by_user_id=LOCAL_USER_ID,
        created_by_identity_type=IDENTITY_TYPE,
    )
    return record


def _owned(settings: Settings, record: Record | None, template_id: str) -> Record:
    """The record if it exists (else 404) and the key may act in its account (else 403)."""
    if record is None:
        raise _not_found(template_id)
    _require_account(settings, str(record["account_id"]))
    return record


def _not_found(template_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"Model template {template_id!r} not found")
