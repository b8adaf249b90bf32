"""`/v4/models`: the models made from templates, as the local API serves them.

Where the API is undocumented, this is what `serve` does (docs/api.md, "Models built from
templates"):
- Auth and accounts as for templates (registry.server.deps): 401 first; 403 for a
  selected account, a body `account_id`, a list `account_id=` or a stored model in an
  account the key may not act in; an unknown model id is 404 before that.
- A `model_template_id` in a create or PATCH body must name a stored template (else
  404, `{"detail": "Model template '...' not found"}`) of the model's own account (else
  422 in FastAPI's shape, `loc` `["body", "model_template_id"]`). Checked whenever a
  body names one; null detaches a model from its template. The model's
  `model_creation_parameters` are not checked against the template's schema.
- Checks come in FastAPI's order: the body (422), then the model (404, 403), then the
  template. A check and the write it guards are one store transaction, so a template
  cannot vanish in between (see `--refuse-used-template-delete`).
- List filters: the accounts as for templates, `model_type=` and `model_group_id=`
  exactly; `sort_by` is accepted and ignored (always creation order); `view` (the SDK
  sends `Deployments,ModelGroup`, comma-separated) must name known views.
- A PATCH cannot change `account_id` (not an update field: 422); each field sent
  replaces the stored value whole. A model keeps its place in the list order.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from registry.server.deps import (
    IDENTITY_TYPE,
    LOCAL_USER_ID,
    MAX_LIMIT,
    Caller,
    SettingsDep,
    StoreDep,
    not_found,
    page_limit,
    prefixed,
    require_account,
    validated_body,
    visible_accounts,
)
from registry.server.faults import MODELS_PATH
from registry.server.model_bodies import (
    ModelCreate,
    ModelUpdate,
    ModelView,
    changes,
    new_model_record,
    with_views,
)
from registry.server.settings import Settings
from registry.server.store import Record, Store

router = APIRouter()

_VIEWS: TypeAdapter[list[ModelView]] = TypeAdapter(list[ModelView])
ViewQuery = Annotated[list[str] | None, Query()]


@router.get(MODELS_PATH)
async def list_models(
    selected: Caller,
    settings: SettingsDep,
    store: StoreDep,
    page: Annotated[int, Query(ge=1)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    account_id: Annotated[str | None, Query()] = None,
    model_type: Annotated[str | None, Query()] = None,
    model_group_id: Annotated[str | None, Query()] = None,
    sort_by: Annotated[list[str] | None, Query()] = None,
    view: ViewQuery = None,
) -> JSONResponse:
    views = _views(view)
    accounts = visible_accounts(settings, account_id, selected)
    limit = page_limit(settings, limit)
    items, total = await run_in_threadpool(
        store.list_models, accounts, page=page, limit=limit, model_type=model_type,
        model_group_id=model_group_id,
    )
    return JSONResponse({"items": [with_views(item, views) for item in items],
                         "total_item_count": total, "current_page": page,
                         "items_per_page": limit})


@router.post(MODELS_PATH)
async def create_model(request: Request, selected: Caller, settings: SettingsDep,
                       store: StoreDep) -> JSONResponse:
    body = validated_body(await request.body(), ModelCreate)
    require_account(settings, body.account_id)
    record = new_model_record(body, user_id=LOCAL_USER_ID, identity_type=IDENTITY_TYPE)
    await run_in_threadpool(_create, store, record)
    return JSONResponse(record)


@router.get(MODELS_PATH + "/{model_id}")
async def get_model(model_id: str, selected: Caller, settings: SettingsDep, store: StoreDep,
                    view: ViewQuery = None) -> JSONResponse:
    views = _views(view)
    record = _owned(settings, await run_in_threadpool(store.get_model, model_id), model_id)
    return JSONResponse(with_views(record, views))


@router.patch(MODELS_PATH + "/{model_id}")
async def update_model(model_id: str, request: Request, selected: Caller,
                       settings: SettingsDep, store: StoreDep) -> JSONResponse:
    patch = changes(validated_body(await request.body(), ModelUpdate))
    return JSONResponse(await run_in_threadpool(_update, store, settings, model_id, patch))


@router.delete(MODELS_PATH + "/{model_id}")
async def delete_model(model_id: str, selected: Caller, settings: SettingsDep,
                       store: StoreDep) -> JSONResponse:
    await run_in_threadpool(_delete, store, settings, model_id)
    return JSONResponse({"success": True, "count": 1})


def _create(store: Store, record: Record) -> None:
    with store.transaction():
        _check_template(store, record.get("model_template_id"), str(record["account_id"]))
        store.create_model(record)


def _update(store: Store, settings: Settings, model_id: str, patch: Record) -> Record:
    with store.transaction():
        record = _owned(settings, store.get_model(model_id), model_id)
        _check_template(store, patch.get("model_template_id"), str(record["account_id"]))
        updated = {**record, **patch}
        store.replace_model(updated)
    return updated


def _delete(store: Store, settings: Settings, model_id: str) -> None:
    with store.transaction():
        _owned(settings, store.get_model(model_id), model_id)
        store.delete_model(model_id)


def _check_template(store: Store, template_id: str | None, account_id: str) -> None:
    """404 when the template is unknown, 422 when it is another account's; None: no check."""
    if template_id is None:
        return
    template = store.get(template_id)
    if template is None:
        raise not_found("Model template", template_id)
    if template["account_id"] != account_id:
        message = (f"Value error, model template {template_id!r} belongs to another account "
                   f"than the model ({account_id!r})")
        raise RequestValidationError([{
            "type": "value_error", "loc": ("body", "model_template_id"), "msg": message,
            "input": template_id, "ctx": {"error": message.removeprefix("Value error, ")},
        }])


def _owned(settings: Settings, record: Record | None, model_id: str) -> Record:
    """The model if it exists (else 404) and the key may act in its account (else 403)."""
    if record is None:
        raise not_found("Model", model_id)
    require_account(settings, str(record["account_id"]))
    return record


def _views(values: list[str] | None) -> frozenset[str]:
    """The views asked, comma-separated or repeated; 422 for a view that does not exist."""
    names = [name for value in values or () for name in value.split(",") if name]
    try:
        return frozenset(_VIEWS.validate_python(names))
    except ValidationError as exc:
        raise RequestValidationError(prefixed(exc, "query", "view")) from None
