"""The client of the model-templates API (docs/api.md): the only module that calls it.

Why it looks the way it does:
- Retries: 429, 5xx and connection/timeout errors are retried with exponential backoff
  and full jitter (`min(cap, base * 2**n) * random()`), at least `Retry-After` when the
  server sends one, within `max_attempts`. Other 4xx are final: 401/403 raise
  `AuthError`, the rest `ApiError` with the server's detail.
- One deadline per call (`retry_deadline` seconds, `--call-timeout`) covers every attempt,
  the waits between them and reading each answer. httpx's timeouts apply per read, so an
  answer trickling a byte at a time would never trip them: answers are streamed, and a
  watchdog thread shuts the socket down when the deadline passes, which makes the
  blocked read fail at once. Before the headers arrive each read waits at most the time
  left. An answer may be at most `max_answer_bytes` (64 MiB), decoded.
- Answers are untrusted (registry.answers): a listing with a malformed item, an id that
  is not a plain identifier, or pages that do not advance or never end is an ApiError
  as a whole, never a partial listing; the same id on two pages is one template. Ids go
  into URLs only if plain, and percent-encoded even then.
- Creates are never blindly retried: the API has no idempotency key, so when a POST may
  have been stored without us hearing the answer (a dropped connection after sending, a
  read timeout, a 5xx), the account is listed again first (within the same deadline); a
  template whose create fields equal the body is adopted (returned) instead of created
  twice. This assumes no two concurrent creates of an identical body in one account (the
  plan guarantees it: one action per account and name), and that the listing sees the
  new template (a concurrent delete in the same account can shift offset pages; the
  plan's next run would then dedupe).
- Deletes are idempotent: a 404 means the template is already gone (a concurrent sync,
  or our own delete whose answer was lost), and `delete_template` returns False.
- The key travels only in the `x-api-key` header, never over plain http to a non-loopback
  host; no message, repr or log line built here contains headers, and any text that
  could echo the key (server details, transport errors) is redacted.
"""

from __future__ import annotations

import email.utils
import heapq
import ipaddress
import itertools
import json as jsonlib
import logging
import os
import random
import socket
import threading
import time
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from registry import __version__
from registry.answers import AnswerError, Listing, is_plain_id, read_page, shown
from registry.compare import same_template
from registry.errors import ApiError, AuthError, ClientError, ConfigError
from registry.extras import missing_extra

try:
    import httpx
except ModuleNotFoundError as exc:  # the base install has no httpx
    raise missing_extra("sync", exc) from None

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
MODELS_PATH = "/v4/models"
USER_AGENT = f"template-registry/{__version__}"
POOL_CONNECTIONS = 64
POOL_KEEPALIVE = 32
_REDACTED = "[REDACTED]"
_DETAIL_LIMIT = 500
MAX_ANSWER_BYTES = 64 * 2**20

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


def resolve_base_url(api_url: str | None, config_base_url: str | None,
                     env_base_url: str | None = None) -> str:
    """The base URL: --api-url, then the environment's `base_url` (with --env), then
    $SGP_CLIENT_BASE_URL, then config, then production."""
    for candidate in (api_url, env_base_url, os.environ.get(BASE_URL_ENV), config_base_url,
                      PRODUCTION_URL):
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
    """One failed attempt: what to report, whether the server may have acted on it, and
    whether the call's deadline passed during it."""

    def __init__(self, *, status: int | None, cause: str, maybe_applied: bool,
                 retry_after: float | None = None, expired: bool = False) -> None:
        self.status = status
        self.cause = cause
        self.maybe_applied = maybe_applied
        self.retry_after = retry_after
        self.expired = expired


@dataclass(frozen=True)
class _Answer:
    """A complete answer, read within the call's deadline and the size bound."""

    status: int
    reason: str
    headers: httpx.Headers
    content: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


# Asked with the call's deadline; returns the effect of a possibly-applied call, or None.
Recover = Callable[[float], dict[str, Any] | None]


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
        max_answer_bytes: int = MAX_ANSWER_BYTES,
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
        if not retry_deadline > 0:
            raise ValueError("retry_deadline must be positive")
        self.base_url = base_url
        self.timeout = timeout
        self.retry_deadline = retry_deadline
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.page_size = page_size
        self.max_answer_bytes = max_answer_bytes
        self._key = api_key
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()
        self._clock = clock
        self._count_lock = threading.Lock()
        self._request_count = 0
        self._watchdog = _Watchdog()
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
                 env_base_url: str | None = None, key_env: str | None = None,
                 **kwargs: Any) -> ApiClient:
        """A client with the key from $SGP_API_KEY (or from KEY_ENV, an environment's own
        variable, and then only from there) and the URL from `resolve_base_url`."""
        name = key_env or API_KEY_ENV
        api_key = os.environ.get(name, "").strip()
        if not api_key:
            raise ConfigError(f"no API key: set the environment variable {name}")
        base_url = resolve_base_url(api_url, config_base_url, env_base_url)
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
        self._watchdog.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- calls ---------------------------------------------------------------------------

    def list_templates(self, account_id: str) -> list[dict[str, Any]]:
        """Every template of the account, one item per id (raw items, unknown fields kept).

        Each page is checked (registry.answers); any problem fails the whole listing.
        """
        return self._list(account_id, until=None)

    def list_models(self, account_id: str) -> list[dict[str, Any]]:
        """Every model of the account (raw items), checked and merged by id like templates.

        The API cannot filter models by template: the plan lists them and filters itself.
        """
        return self._list(account_id, until=None, path=MODELS_PATH)

    def move_model(self, model_id: str, template_id: str, account_id: str) -> dict[str, Any]:
        """Point a model at another template (`PATCH /v4/models/{id}`), checked.

        A PATCH is idempotent, so a lost answer is safe to repeat; before repeating, the
        model is read back, and a model already on TEMPLATE_ID counts as moved.
        """
        path = model_path(model_id)

        def recover(deadline: float) -> dict[str, Any] | None:
            answer = self._call("GET", path, account_id=account_id, until=deadline)
            model = self._json(answer, "GET", path)
            moved = isinstance(model, dict) and model.get("model_template_id") == template_id
            return model if moved else None

        outcome = self._call("PATCH", path, account_id=account_id,
                             json={"model_template_id": template_id}, recover=recover)
        model = outcome if isinstance(outcome, dict) else self._json(outcome, "PATCH", path)
        if not isinstance(model, dict) or model.get("model_template_id") != template_id:
            raise ApiError(f"PATCH {path}: the answer does not show the model on template "
                           f"{template_id}", detail="model not moved")
        return model

    def create_template(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a template; after a lost answer, adopt the stored one instead of a twin."""
        account_id = str(body["account_id"])

        def recover(deadline: float) -> dict[str, Any] | None:
            matches = [item for item in self._list(account_id, until=deadline)
                       if same_template(body, item)]
            return matches[-1] if matches else None

        outcome = self._call("POST", TEMPLATES_PATH, account_id=account_id, json=body,
                             recover=recover)
        if isinstance(outcome, dict):
            return outcome
        created = self._json(outcome, "POST", TEMPLATES_PATH)
        if not isinstance(created, dict):
            raise ApiError(f"POST {TEMPLATES_PATH}: the answer is not a template",
                           status=outcome.status, detail="malformed answer")
        if not is_plain_id(created.get("id")):
            raise ApiError(
                self._redact(f"POST {TEMPLATES_PATH}: the created template's id "
                             f"{shown(created.get('id'))} is not a plain identifier"),
                status=outcome.status, detail="malformed answer")
        return created

    def delete_template(self, template_id: str, account_id: str) -> bool:
        """Delete a template: True if deleted now, False if it was already gone (404)."""
        path = template_path(template_id)
        answer = self._call("DELETE", path, account_id=account_id, accept=(404,))
        return answer.status != 404

    def _list(self, account_id: str, until: float | None, path: str = TEMPLATES_PATH
              ) -> list[dict[str, Any]]:
        """Every item of a list call (templates, or models), each page's call ending by
        UNTIL at the latest (if given)."""
        listing = Listing(account_id, self.page_size,
                          "models" if path == MODELS_PATH else "templates")
        while True:
            answer = self._call("GET", path, account_id=account_id, until=until,
                                params={"account_id": account_id, "page": listing.page,
                                        "limit": self.page_size})
            data = self._json(answer, "GET", path)
            try:
                if listing.add(read_page(data, account_id, models=path == MODELS_PATH)):
                    return listing.items
            except AnswerError as exc:
                raise ApiError(
                    self._redact(f"GET {path} (account {account_id!r}, page "
                                 f"{listing.page}): {exc}"),
                    status=answer.status, detail=self._redact(str(exc))) from None

    # --- the retry loop ------------------------------------------------------------------

    @typing.overload
    def _call(self, method: str, path: str, *, account_id: str | None,
              params: dict[str, Any] | None = ..., json: Any = ...,
              recover: None = ..., accept: tuple[int, ...] = ...,
              until: float | None = ...) -> _Answer: ...

    @typing.overload
    def _call(self, method: str, path: str, *, account_id: str | None,
              params: dict[str, Any] | None = ..., json: Any = ...,
              recover: Recover, accept: tuple[int, ...] = ...,
              until: float | None = ...) -> _Answer | dict[str, Any]: ...

    def _call(
        self,
        method: str,
        path: str,
        *,
        account_id: str | None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        recover: Recover | None = None,
        accept: tuple[int, ...] = (),
        until: float | None = None,
    ) -> _Answer | dict[str, Any]:
        """Send with retries within one deadline (`retry_deadline`, or UNTIL if sooner).

        Returns the 2xx answer (or one with a status in ACCEPT), or what `recover` found
        (the call had been applied); `recover` is asked before repeating a
        possibly-applied call.
        """
        headers = {"x-selected-account-id": account_id} if account_id is not None else {}
        deadline = self._clock() + self.retry_deadline
        if until is not None:
            deadline = min(deadline, until)
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(method, path, headers, params, json, deadline)
            if isinstance(outcome, _Answer):
                if outcome.ok or outcome.status in accept:
                    return outcome
                raise self._final_error(method, path, outcome)
            failure = outcome
            wait = self._backoff(attempt - 1)
            if failure.retry_after is not None:
                wait = max(wait, failure.retry_after)
            out_of_time = failure.expired or self._clock() + wait >= deadline
            if out_of_time or attempt >= self.max_attempts:
                if recover is not None and failure.maybe_applied:
                    found = self._recover(recover, method, path, failure, deadline)
                    if found is not None:
                        return found
                reason = (f"the {self.retry_deadline:g}s call deadline" if out_of_time
                          else f"{attempt} attempts")
                raise ApiError(
                    self._redact(f"{method} {path} failed after {reason}: {failure.cause}"),
                    status=failure.status, detail=self._redact(failure.cause),
                )
            logger.debug("retrying %s %s after %s: waiting %.2fs (attempt %d of %d)",
                         method, path, self._redact(failure.cause), wait, attempt + 1,
                         self.max_attempts)
            self._sleep(wait)
            if recover is not None and failure.maybe_applied:
                found = self._recover(recover, method, path, failure, deadline)
                if found is not None:
                    return found

    def _attempt(self, method: str, path: str, headers: dict[str, str],
                 params: dict[str, Any] | None, json: Any, deadline: float
                 ) -> _Answer | _Failure:
        """One request: an answer to return or raise for, or a retryable failure."""
        left = deadline - self._clock()
        if left <= 0:
            return _Failure(status=None, cause="no time was left to send it",
                            maybe_applied=False, expired=True)
        with self._count_lock:
            self._request_count += 1
        try:
            request = self._http.build_request(method, path, params=params, json=json,
                                               headers=headers,
                                               timeout=min(self.timeout, left))
            response = self._http.send(request, stream=True)
        except _NOT_RETRYABLE as exc:
            raise ApiError(self._redact(f"{method} {path}: cannot send the request: {exc}"),
                           detail=self._redact(str(exc))) from None
        except httpx.TransportError as exc:
            return _Failure(status=None, cause=_describe(exc),
                            maybe_applied=not isinstance(exc, _NOT_SENT),
                            expired=self._clock() >= deadline)
        try:
            answer = self._read(response, method, path, deadline)
        finally:
            response.close()
        if isinstance(answer, _Failure):
            return answer
        status = answer.status
        if status == 429 or status >= 500:
            return _Failure(status=status, cause=f"{status} {self._detail(answer)}",
                            maybe_applied=status >= 500,
                            retry_after=_retry_after(answer.headers.get("retry-after")))
        return answer

    def _read(self, response: httpx.Response, method: str, path: str,
              deadline: float) -> _Answer | _Failure:
        """The whole answer, by the deadline and within the size bound (else ApiError)."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_answer_bytes:
            raise self._too_large(method, path, response.status_code)
        late = _Failure(status=None, cause="the answer was still arriving at the deadline",
                        maybe_applied=True, expired=True)
        with self._watchdog.watching(response, deadline - self._clock()) as watch:
            chunks: list[bytes] = []
            size = 0
            try:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_answer_bytes:
                        raise self._too_large(method, path, response.status_code)
                    chunks.append(chunk)
                    if self._clock() >= deadline:
                        return late
            except httpx.DecodingError:
                raise ApiError(f"{method} {path}: the answer's content encoding is broken",
                               status=response.status_code, detail="undecodable answer"
                               ) from None
            except httpx.TransportError as exc:
                if watch.fired or self._clock() >= deadline:
                    return late
                return _Failure(status=None, cause=_describe(exc), maybe_applied=True)
        if watch.fired:
            return late
        return _Answer(response.status_code, response.reason_phrase, response.headers,
                       b"".join(chunks))

    def _too_large(self, method: str, path: str, status: int) -> ApiError:
        limit = f"{self.max_answer_bytes / 2**20:g} MiB"
        return ApiError(f"{method} {path}: the answer is larger than {limit}; refusing it",
                        status=status, detail="answer too large")

    def _recover(self, recover: Recover, method: str, path: str, failure: _Failure,
                 deadline: float) -> dict[str, Any] | None:
        """Look for the effect of a possibly-applied call; unknown outcome is an error."""
        logger.debug("%s %s may have been applied (%s): listing before retrying",
                     method, path, self._redact(failure.cause))
        try:
            return recover(deadline)
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

    def _final_error(self, method: str, path: str, answer: _Answer) -> ClientError:
        status = answer.status
        detail = self._detail(answer)
        if status in (401, 403):
            what = "the API key was refused" if status == 401 else "the account is not allowed"
            return AuthError(self._redact(f"{method} {path}: {what} ({status}): {detail}"),
                             status=status, detail=detail)
        return ApiError(self._redact(f"{method} {path} failed ({status}): {detail}"),
                        status=status, detail=detail)

    def _detail(self, answer: _Answer) -> str:
        """The server's message: `detail` as text, FastAPI's errors as `loc: msg; ...`.

        Cut short, with control characters replaced: it is printed to a terminal.
        """
        try:
            data = jsonlib.loads(answer.content)
        except (ValueError, RecursionError):
            text = answer.text().strip()
            detail = text[:_DETAIL_LIMIT] if text else answer.reason
        else:
            found = data.get("detail", data) if isinstance(data, dict) else data
            detail = _format_detail(found)[:_DETAIL_LIMIT]
        return self._redact("".join(c if c.isprintable() else "?" for c in detail))

    def _json(self, answer: _Answer, method: str, path: str) -> Any:
        try:
            return jsonlib.loads(answer.content)
        except (ValueError, RecursionError):
            raise ApiError(f"{method} {path}: the answer is not JSON",
                           status=answer.status, detail="invalid JSON") from None

    def _redact(self, text: str) -> str:
        return text.replace(self._key, _REDACTED) if self._key else text


def template_path(template_id: str) -> str:
    """The URL path of one template; ApiError for an id that is not a plain identifier."""
    return _item_path(TEMPLATES_PATH, "template", template_id)


def model_path(model_id: str) -> str:
    """The URL path of one model; ApiError for an id that is not a plain identifier."""
    return _item_path(MODELS_PATH, "model", model_id)


def _item_path(base: str, what: str, item_id: str) -> str:
    if not is_plain_id(item_id):
        raise ApiError(f"refusing the {what} id {shown(item_id)}: not a plain identifier, so "
                       "not safe in a URL", detail="unsafe id")
    return f"{base}/{quote(item_id, safe='')}"


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# --- the deadline watchdog -----------------------------------------------------------


class _Watch:
    """One answer being read: its socket, and whether the deadline shut it down."""

    def __init__(self, sock: socket.socket | None) -> None:
        self.sock = sock
        self.fired = False
        self.done = False


class _Watchdog:
    """Shuts a socket down when its deadline passes, so that a read blocked on it fails.

    One thread per client (started on first use) serves every call: a timer thread per
    call would cost more than a fast call itself. Deadlines are in real monotonic time.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, _Watch]] = []  # a heap, soonest first
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    @contextmanager
    def watching(self, response: httpx.Response, seconds: float) -> Iterator[_Watch]:
        """Watch RESPONSE's socket for SECONDS (no socket, e.g. a mock transport: no watch)."""
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        watch = _Watch(sock if isinstance(sock, socket.socket) else None)
        if watch.sock is None:
            yield watch
            return
        with self._cond:
            entry = (time.monotonic() + max(0.0, seconds), next(self._order), watch)
            heapq.heappush(self._due, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="api-call-watchdog",
                                                daemon=True)
                self._thread.start()
            if self._due[0] is entry:
                self._cond.notify()
        try:
            yield watch
        finally:
            with self._cond:
                watch.done = True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                while self._due and (self._due[0][2].done or self._due[0][0] <= now):
                    watch = heapq.heappop(self._due)[2]
                    if not watch.done and watch.sock is not None:
                        watch.fired = True
                        with suppress(OSError):
                            watch.sock.shutdown(socket.SHUT_RDWR)
                self._cond.wait(self._due[0][0] - now if self._due else None)


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
