"""What every route of the local API shares: the caller, the account policy, JSON bodies.

- `Caller` authenticates (401) and checks `x-selected-account-id` (403) before a route
  looks at its parameters or body; it gives the selected account, or None.
- `require_account` and `visible_accounts` turn the account policy of `Settings` into
  403 answers and list filters, the same for templates and models.
- `validated_body` reads a JSON body with one of our pydantic models and reports errors
  in FastAPI's own 422 shape (`"body"` prefixed to `loc`), so a route can read the raw
  body itself (to validate strictly, and after the auth check) and still answer as
  FastAPI would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ValidationError

from registry.server.settings import Settings
from registry.server.store import Store

# The creator of everything made here: a fixed id, so the key is never echoed or hashed
# into answers.
LOCAL_USER_ID = uuid.uuid5(uuid.NAMESPACE_URL, "template-registry-serve/local-user").hex
IDENTITY_TYPE = "user"
MAX_LIMIT = 10000

Body = TypeVar("Body", bound=BaseModel)

_api_key_header = APIKeyHeader(name="x-api-key", auto_error=False)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[Store, Depends(_store)]


def _caller(
    settings: SettingsDep,
    key: Annotated[str | None, Depends(_api_key_header)],
    selected: Annotated[str | None, Header(alias="x-selected-account-id")] = None,
) -> str | None:
    """Authenticate, check the selected account, and return it (None when absent)."""
    if not settings.key_matches(key):
        detail = "Invalid API key" if key else "Missing API key (send it in x-api-key)"
        raise HTTPException(status_code=401, detail=detail)
    if selected:
        require_account(settings, selected)
        return selected
    return None


Caller = Annotated[str | None, Depends(_caller)]


def require_account(settings: Settings, account_id: str) -> None:
    """403 unless the key may act in `account_id`."""
    if not settings.may_act_in(account_id):
        raise HTTPException(
            status_code=403, detail=f"This API key may not act in account {account_id!r}"
        )


def visible_accounts(
    settings: Settings, account_id: str | None, selected: str | None
) -> Collection[str] | None:
    """The accounts a list covers: `account_id=`, else the selected one, else all allowed.

    None means every account."""
    if account_id is not None:
        require_account(settings, account_id)
        return (account_id,)
    if selected is not None:
        return (selected,)
    return settings.accounts or None


def page_limit(settings: Settings, limit: int) -> int:
    """The page size answered: `limit`, capped by `--max-page-size`."""
    return limit if settings.max_page_size is None else min(limit, settings.max_page_size)


def not_found(what: str, item_id: str) -> HTTPException:
    """404 for an unknown (or deleted) id: `what` is "Model template" or "Model"."""
    return HTTPException(status_code=404, detail=f"{what} {item_id!r} not found")


def validated_body(raw: bytes, model: type[Body]) -> Body:
    """Parse and validate a JSON body, raising 422 errors in FastAPI's own shape."""
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
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(prefixed(exc, "body")) from None


def prefixed(exc: ValidationError, *where: str | int) -> list[dict[str, Any]]:
    """Pydantic's errors with `where` put before each `loc`, as FastAPI reports them."""
    return [{**error, "loc": (*where, *error["loc"])} for error in exc.errors(include_url=False)]
