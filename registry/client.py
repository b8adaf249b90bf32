"""The client of the model-templates API (shared/spec/api.md): the only module speaking HTTP.

Why it looks the way it does:
- Retries: 429, 5xx and connection/timeout errors are retried with exponential backoff
  and full jitter (`min(cap, base * 2**n) * random()`), at least `Retry-After` when the
  server sends one, within `max_attempts` and `retry_deadline` seconds per call. Other
  4xx are final: 401/403 raise `AuthError`, the rest `ApiError` with the server's detail.
- Creates are never blindly retried: the API has no idempotency key, so when a POST may
  have been stored without us hearing the answer (a dropped connection after sending, a
  read timeout, a 5xx), the account is listed again first; a template whose create
  fields equal the body is adopted (returned) instead of created twice. This assumes no
  two concurrent creates of an identical body in one account (the plan guarantees it:
  one action per account and name), and that the listing sees the new template (a
  concurrent delete in the same account can shift offset pages; the plan's next run
  would then dedupe).
- A delete answered 404 after an earlier attempt that may have been applied counts as
  done (our own lost delete); a 404 on the first attempt is an error.
- The key travels only in the `x-api-key` header, never over plain http to a non-loopback
  host; no message, repr or log line built here contains headers, and any text that
  could echo the key (server details, transport errors) is redacted.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import os
import random
import threading
import time
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from registry import __version__
from registry.compare import same_template
from registry.errors import ApiError, AuthError, ClientError, ConfigError

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "PRODUCTION_URL",
    "ApiClient",
    "ApiError",
    "AuthError",
    "ClientError",
    "ConfigError",
    "check_url_safe_for_key",
    "resolve_base_url",
]

PRODUCTION_URL = "https://api.egp.scale.com"
API_KEY_ENV = "SGP_API_KEY"
BASE_URL_ENV = "SGP_CLIENT_BASE_URL"
TEMPLATES_PATH = "/v4/model-templates"
USER_AGENT = f"template-registry/{__version__}"
POOL_CONNECTIONS = 64
POOL_KEEPALIVE = 32
_REDACTED = "[REDACTED]"
_DETAIL_LIMIT = 500

logger = logging.getLogger("registry.client")

# Transport errors raised before any byte of the request left: retrying cannot duplicate.
_NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# Errors in building the request: retrying cannot help.
_NOT_RETRYABLE: tuple[type[httpx.TransportError], ...] = (
    httpx.LocalProtocolError,
    httpx.UnsupportedProtocol,
)


# --- configuration -------------------------------------------------------------------


def resolve_base_url(api_url: str | None, config_base_url: str | None) -> str:
    """The base URL: --api-url, then $SGP_CLIENT_BASE_URL, then config, then production."""
    for candidate in (api_url, os.environ.get(BASE_URL_ENV), config_base_url, PRODUCTION_URL):
        if candidate and candidate.strip():
            return candidate.strip().rstrip("/")
    return PRODUCTION_URL  # unreachable: PRODUCTION_URL is never empty


def check_url_safe_for_key(base_url: str) -> None:
    """Refuse a URL the key must not be sent to: not http(s), or plain http off loopback."""
    try:
        parts = urlsplit(base_url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ConfigError("the API base URL is malformed") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(
            f"the API base URL must use https (or http on loopback), not {scheme or 'no'} scheme"
        )
    if not host:
        raise ConfigError("the API base URL has no host")
    if scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"refusing to send the API key over plain http to {host!r}: use https "
            "(plain http is allowed only for loopback hosts)"
        )


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_key(api_key: str) -> None:
    """A key that cannot be a header value would make httpx quote it in an error."""
    if not api_key:
        raise ConfigError(f"no API key: set {API_KEY_ENV}")
    if any(not (0x21 <= ord(char) <= 0x7E) for char in api_key):
        raise ConfigError(
            f"the API key (from {API_KEY_ENV}) contains spaces or invalid characters"
        )


# --- the client ----------------------------------------------------------------------


class _Failure:
    """One failed attempt: what to report, and whether the server may have acted on it."""

    def __init__(self, *, status: int | None, cause: str, maybe_applied: bool,
                 retry_after: float | None = None) -> None:
        self.status = status
        self.cause = cause
        self.maybe_applied = maybe_applied
        self.retry_after = retry_after


Recover = Callable[[], dict[str, Any] | None]


class ApiClient:
    """A thread-safe client of the model-templates API, with safe retries.

    `sleep`, `rng` and `clock` (a monotonic time source for the deadline) are injectable
    so that tests can check the backoff without waiting.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retry_deadline: float = 60.0,
        max_attempts: int = 8,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        page_size: int = 1000,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        base_url = base_url.strip().rstrip("/")
        check_url_safe_for_key(base_url)
        _check_key(api_key)
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.base_url = base_url
        self.timeout = timeout
        self.retry_deadline = retry_deadline
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.page_size = page_size
        self._key = api_key
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()
        self._clock = clock
        self._count_lock = threading.Lock()
        self._request_count = 0
        self._http = httpx.Client(
            base_url=base_url,
            headers={"x-api-key": api_key, "user-agent": USER_AGENT, "accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=POOL_CONNECTIONS,
                                max_keepalive_connections=POOL_KEEPALIVE),
            transport=transport,
            follow_redirects=False,  # a redirect could carry the key elsewhere
        )

    @classmethod
    def from_env(cls, *, api_url: str | None, config_base_url: str | None,
                 **kwargs: Any) -> ApiClient:
        """A client with the key from $SGP_API_KEY and the URL from `resolve_base_url`."""
        api_key = os.environ.get(API_KEY_ENV, "").strip()
        if not api_key:
            raise ConfigError(f"no API key: set the environment variable {API_KEY_ENV}")
        base_url = resolve_base_url(api_url, config_base_url)
        check_url_safe_for_key(base_url)
        return cls(base_url, api_key, **kwargs)

    @property
    def request_count(self) -> int:
        """HTTP requests actually sent so far (every attempt counts)."""
        with self._count_lock:
            return self._request_count

    def __repr__(self) -> str:
        return f"ApiClient(base_url={self.base_url!r}, requests={self.request_count})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- calls ---------------------------------------------------------------------------

    def list_templates(self, account_id: str) -> list[dict[str, Any]]:
        """Every template of the account, page by page (raw items, unknown fields kept)."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            response = self._call("GET", TEMPLATES_PATH, account_id=account_id,
                                  params={"account_id": account_id, "page": page,
                                          "limit": self.page_size})
            data = self._json(response, "GET", TEMPLATES_PATH)
            page_items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(page_items, list):
                raise ApiError(f"GET {TEMPLATES_PATH}: the answer has no list of items",
                               status=response.status_code, detail="malformed page")
            if not page_items:
                return items
            items.extend(item for item in page_items if isinstance(item, dict))
            total = _int_or_none(data.get("total_item_count"))
            current = _int_or_none(data.get("current_page")) or page
            per_page = _int_or_none(data.get("items_per_page")) or self.page_size
            if total is not None and current * per_page >= total:
                return items
            page += 1

    def create_template(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a template; after a lost answer, adopt the stored one instead of a twin."""
        account_id = str(body["account_id"])

        def recover() -> dict[str, Any] | None:
            matches = [item for item in self.list_templates(account_id)
                       if same_template(body, item)]
            return matches[-1] if matches else None

        outcome = self._call("POST", TEMPLATES_PATH, account_id=account_id, json=body,
                             recover=recover)
        if isinstance(outcome, dict):
            return outcome
        created = self._json(outcome, "POST", TEMPLATES_PATH)
        if not isinstance(created, dict):
            raise ApiError(f"POST {TEMPLATES_PATH}: the answer is not a template",
                           status=outcome.status_code, detail="malformed answer")
        return created

    def delete_template(self, template_id: str, account_id: str) -> None:
        """Delete a template; a 404 after our own possibly-applied attempt means done."""
        self._call("DELETE", f"{TEMPLATES_PATH}/{template_id}", account_id=account_id,
                   gone_ok_after_lost=True)

    # --- the retry loop ------------------------------------------------------------------

    @typing.overload
    def _call(self, method: str, path: str, *, account_id: str | None,
              params: dict[str, Any] | None = ..., json: Any = ...,
              recover: None = ..., gone_ok_after_lost: bool = ...) -> httpx.Response: ...

    @typing.overload
    def _call(self, method: str, path: str, *, account_id: str | None,
              params: dict[str, Any] | None = ..., json: Any = ...,
              recover: Recover, gone_ok_after_lost: bool = ...
              ) -> httpx.Response | dict[str, Any]: ...

    def _call(
        self,
        method: str,
        path: str,
        *,
        account_id: str | None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        recover: Recover | None = None,
        gone_ok_after_lost: bool = False,
    ) -> httpx.Response | dict[str, Any]:
        """Send with retries; `recover` is asked before repeating a possibly-applied call.

        Returns the 2xx response, or what `recover` found (the call had been applied).
        """
        headers = {"x-selected-account-id": account_id} if account_id is not None else {}
        deadline = self._clock() + self.retry_deadline
        maybe_applied = False  # an earlier attempt may have been acted upon
        attempt = 0
        while True:
            attempt += 1
            failure = self._attempt(method, path, headers, params, json)
            if isinstance(failure, httpx.Response):
                response = failure
                if response.status_code == 404 and gone_ok_after_lost and maybe_applied:
                    return response
                if not response.is_success:
                    raise self._final_error(method, path, response)
                return response
            maybe_applied = maybe_applied or failure.maybe_applied
            wait = self._backoff(attempt - 1)
            if failure.retry_after is not None:
                wait = max(wait, failure.retry_after)
            out_of_attempts = attempt >= self.max_attempts
            out_of_time = self._clock() + wait > deadline
            if out_of_attempts or out_of_time:
                if recover is not None and failure.maybe_applied:
                    found = self._recover(recover, method, path, failure)
                    if found is not None:
                        return found
                reason = (f"{attempt} attempts" if out_of_attempts
                          else f"the {self.retry_deadline:g}s retry deadline")
                raise ApiError(
                    self._redact(f"{method} {path} failed after {reason}: {failure.cause}"),
                    status=failure.status, detail=self._redact(failure.cause),
                )
            logger.debug("retrying %s %s after %s: waiting %.2fs (attempt %d of %d)",
                         method, path, self._redact(failure.cause), wait, attempt + 1,
                         self.max_attempts)
            self._sleep(wait)
            if recover is not None and failure.maybe_applied:
                found = self._recover(recover, method, path, failure)
                if found is not None:
                    return found

    def _attempt(self, method: str, path: str, headers: dict[str, str],
                 params: dict[str, Any] | None, json: Any) -> httpx.Response | _Failure:
        """One request: a response to return or raise for, or a retryable failure."""
        with self._count_lock:
            self._request_count += 1
        try:
            response = self._http.request(method, path, params=params, json=json,
                                          headers=headers)
        except _NOT_RETRYABLE as exc:
            raise ApiError(self._redact(f"{method} {path}: cannot send the request: {exc}"),
                           detail=self._redact(str(exc))) from None
        except httpx.TransportError as exc:
            cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return _Failure(status=None, cause=cause,
                            maybe_applied=not isinstance(exc, _NOT_SENT))
        status = response.status_code
        if status == 429 or status >= 500:
            return _Failure(status=status, cause=f"{status} {self._detail(response)}",
                            maybe_applied=status >= 500,
                            retry_after=_retry_after(response.headers.get("retry-after")))
        return response

    def _recover(self, recover: Recover, method: str, path: str,
                 failure: _Failure) -> dict[str, Any] | None:
        """Look for the effect of a possibly-applied call; unknown outcome is an error."""
        logger.debug("%s %s may have been applied (%s): listing before retrying",
                     method, path, self._redact(failure.cause))
        try:
            return recover()
        except ApiError as exc:
            raise ApiError(
                self._redact(f"{method} {path}: outcome unknown after {failure.cause}, and "
                             f"checking it failed: {exc}"),
                status=failure.status, detail=exc.detail,
            ) from None

    def _backoff(self, retry: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**retry))."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** min(retry, 62))
        with self._rng_lock:
            return ceiling * self._rng.random()

    def _final_error(self, method: str, path: str, response: httpx.Response) -> ClientError:
        status = response.status_code
        detail = self._detail(response)
        if status in (401, 403):
            what = "the API key was refused" if status == 401 else "the account is not allowed"
            return AuthError(self._redact(f"{method} {path}: {what} ({status}): {detail}"),
                             status=status, detail=detail)
        return ApiError(self._redact(f"{method} {path} failed ({status}): {detail}"),
                        status=status, detail=detail)

    def _detail(self, response: httpx.Response) -> str:
        """The server's message: `detail` as text, FastAPI's errors as `loc: msg; ...`."""
        try:
            data = response.json()
        except ValueError:
            text = response.text.strip()
            return self._redact(text[:_DETAIL_LIMIT] if text else response.reason_phrase)
        detail = data.get("detail", data) if isinstance(data, dict) else data
        return self._redact(_format_detail(detail)[:_DETAIL_LIMIT])

    def _json(self, response: httpx.Response, method: str, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ApiError(f"{method} {path}: the answer is not JSON",
                           status=response.status_code, detail="invalid JSON") from None

    def _redact(self, text: str) -> str:
        return text.replace(self._key, _REDACTED) if self._key else text


def _format_detail(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for error in detail:
            if isinstance(error, dict) and "msg" in error:
                loc = error.get("loc")
                where = ".".join(str(p) for p in loc) if isinstance(loc, list | tuple) else ""
                parts.append(f"{where}: {error['msg']}" if where else str(error["msg"]))
            else:
                parts.append(str(error))
        return "; ".join(parts)
    return str(detail)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds: a number of seconds or an HTTP date; None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds or seconds == float("inf"):  # NaN or infinite
        return None
    return max(0.0, seconds)
