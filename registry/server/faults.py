"""Fault injection and latency for the local server: to test how clients survive trouble.

Mechanics:
- Only API calls (paths under `/v4/`) are affected; `/healthz` never is, so waiting for
  the server to come up neither fails nor consumes random draws.
- `FaultInjector` draws exactly two numbers from `random.Random(seed)` for every API
  request, in arrival order: one decides whether the request fails (probability
  `rate`), the other which fault it gets. Same seed and same request order, same faults.
- The kinds, equally likely among those chosen (`--fault-kinds`; default the first five):
  `500`, `503`, `429` (with `Retry-After: 1`) answered before the request reaches the
  API, so nothing happens; `drop`, the request is read and the connection closed without
  any HTTP answer, nothing happens; `drop-after`, the request is processed normally (a
  create is stored and committed, a delete done) and then its answer is dropped: what
  makes a naive client create a template twice; `trickle`, the request is processed,
  then the answer's headers are sent and its body one byte every `trickle_pause` (1 s):
  what hangs a client that only has per-read timeouts.
- Kinds for list requests only (`GET /v4/model-templates` and `GET /v4/models`), the
  lies a client must not plan from: `stuck-page`, every page answered as page 1
  (`current_page` 1, page 1's items); `endless`, an enormous `total_item_count` and
  pages past the end answered with earlier pages' items again (an empty account stays
  empty); `repeat-id`, every page after the first starts with the previous page's last
  item (as offset pages do under concurrent inserts; nothing is missing); `malformed`,
  the page gets three bad items first: one without `id`, one whose `name` is a list, one
  whose id is the path `../../admin/wipe-all?confirm=yes#`. A request gets a fault only
  among the kinds that apply to it; none applicable, no fault.
- `--latency-ms` delays every API answer (or drop) by that much, with `asyncio.sleep`,
  after the fault draw so that concurrent requests keep their arrival order.
- Each injected fault is logged on one line (default: stderr), e.g.
  `fault: POST /v4/model-templates -> 503`. Never with headers or query, so never the key.
- The same layer writes the request log (`--request-log`, registry.server.requestlog),
  one line per API request, faults included.

How a drop works: under uvicorn, the ASGI `send` callable is a bound method of the
connection's request/response cycle, which holds the asyncio transport (true for its
h11 and httptools protocols). Closing that transport before any byte of the answer is
written is what a crashed server or a broken proxy looks like to a client: httpx raises
`RemoteProtocolError` ("Server disconnected without sending a response"). When no
transport can be found (e.g. under Starlette's TestClient), `ConnectionDropped` is
raised instead, which TestClient re-raises to the test.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.server.requestlog import request_line

FaultKind = Literal["500", "503", "429", "drop", "drop-after", "trickle", "stuck-page",
                    "endless", "repeat-id", "malformed"]
FAULT_KINDS: tuple[FaultKind, ...] = ("500", "503", "429", "drop", "drop-after", "trickle",
                                      "stuck-page", "endless", "repeat-id", "malformed")
DEFAULT_FAULT_KINDS: tuple[FaultKind, ...] = FAULT_KINDS[:5]
LIST_ONLY_KINDS: frozenset[FaultKind] = frozenset(
    {"stuck-page", "endless", "repeat-id", "malformed"})
RETRY_AFTER_SECONDS = 1
TRICKLE_PAUSE_SECONDS = 1.0
ENDLESS_TOTAL = 10**12
HOSTILE_ID = "../../admin/wipe-all?confirm=yes#"
API_PREFIX = "/v4/"
TEMPLATES_PATH = "/v4/model-templates"  # served by registry.server.app
MODELS_PATH = "/v4/models"  # served by registry.server.model_routes
LIST_PATHS = frozenset({TEMPLATES_PATH, MODELS_PATH})  # their GET is a list call

_MESSAGES: dict[str, str] = {
    "500": "Internal server error (injected fault)",
    "503": "Service unavailable (injected fault)",
    "429": "Too many requests (injected fault)",
}


class ConnectionDropped(Exception):
    """Raised when a drop was asked for but there is no transport to close."""


class FaultChooser(Protocol):
    """Decides, per API request, whether and how it fails."""

    def choose(self, method: str, path: str) -> FaultKind | None: ...


def parse_fault_kinds(text: str) -> tuple[FaultKind, ...]:
    """Kinds from `--fault-kinds` ("trickle" or "500,503 drop"); ValueError if unknown."""
    kinds: list[FaultKind] = []
    for word in re.split(r"[\s,]+", text.strip()):
        if not word:
            continue
        if word not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {word!r}; the kinds are "
                             f"{', '.join(FAULT_KINDS)}")
        if word not in kinds:
            kinds.append(cast(FaultKind, word))
    if not kinds:
        raise ValueError("no fault kind given")
    return tuple(kinds)


def is_list_request(method: str, path: str) -> bool:
    return method == "GET" and path in LIST_PATHS


class FaultInjector:
    """Seeded, thread-safe chooser: deterministic for a given seed and request order."""

    def __init__(self, rate: float, seed: int,
                 kinds: tuple[FaultKind, ...] = DEFAULT_FAULT_KINDS) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, got {rate}")
        if not kinds:
            raise ValueError("at least one fault kind is needed")
        self.rate = rate
        self.kinds = kinds
        self._other_kinds = tuple(kind for kind in kinds if kind not in LIST_ONLY_KINDS)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def choose(self, method: str, path: str) -> FaultKind | None:
        """The fault for the next request, or None; always two draws, whatever the outcome.

        The pick is among the kinds that apply to the request (list-only kinds apply to
        list requests only); none applicable, no fault.
        """
        if self.rate <= 0.0:
            return None
        with self._lock:
            roll = self._rng.random()
            pick = self._rng.random()
        kinds = self.kinds if is_list_request(method, path) else self._other_kinds
        if roll >= self.rate or not kinds:
            return None
        return kinds[min(int(pick * len(kinds)), len(kinds) - 1)]


def stderr_log(line: str) -> None:
    """Write one log line to stderr right away (the default fault log)."""
    print(line, file=sys.stderr, flush=True)


@dataclass
class FaultMiddleware:
    """Outermost ASGI layer: adds latency, injects faults into API calls, and writes the
    request log (registry.server.requestlog) when given one: it alone knows both the
    fault and the status."""

    app: ASGIApp
    chooser: FaultChooser | None = None
    latency_ms: float = 0.0
    log: Callable[[str], None] = stderr_log
    trickle_pause: float = TRICKLE_PAUSE_SECONDS
    request_log: Callable[[str], None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", "GET"))
        fault = self.chooser.choose(method, path) if self.chooser is not None else None
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000.0)
        if fault is None:
            await self._pass_on(scope, receive, send)
        elif fault == "drop":
            self.log(f"fault: {method} {path} -> connection dropped")
            self._record(scope, None, fault)
            await _drain(receive)
            await drop_connection(send)
        elif fault == "drop-after":
            answer = await _run_capturing(self.app, scope, receive)
            self.log(f"fault: {method} {path} -> processed ({answer.status}), "
                     "connection dropped")
            self._record(scope, answer.status, fault)
            await drop_connection(send)
        elif fault == "trickle":
            answer = await _run_capturing(self.app, scope, receive)
            self.log(f"fault: {method} {path} -> processed ({answer.status}), answer "
                     f"trickled a byte every {self.trickle_pause:g}s")
            self._record(scope, answer.status, fault)
            await _trickle(send, receive, answer, self.trickle_pause)
        elif fault in LIST_ONLY_KINDS:
            page = _asked_page(scope)
            self.log(f"fault: {method} {path} -> {fault} (page {page} asked)")
            answer = await _LIST_FAULTS[fault](_PageFetcher(self.app, scope), page)
            self._record(scope, answer.status, fault)
            await _send(send, answer)
        else:
            self.log(f"fault: {method} {path} -> {fault}")
            self._record(scope, int(fault), fault)
            await _send_error(send, int(fault))

    async def _pass_on(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app as is; with a request log, note the status as it starts out."""
        if self.request_log is None:
            await self.app(scope, receive, send)
            return
        recorded = False

        async def send_noting_status(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                self._record(scope, int(message["status"]), None)
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            if not recorded:
                self._record(scope, None, None)

    def _record(self, scope: Scope, status: int | None, fault: FaultKind | None) -> None:
        if self.request_log is not None:
            self.request_log(request_line(str(scope.get("method", "GET")),
                                          str(scope.get("path", "")), status, fault))


@dataclass
class _Answer:
    """An answer of the app, held back instead of sent."""

    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


async def _run_capturing(app: ASGIApp, scope: Scope, receive: Receive) -> _Answer:
    """Run the request fully (its effects happen) and return the answer it would have had."""
    answer = _Answer()

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = int(message["status"])
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += bytes(message.get("body", b""))

    await app(scope, receive, capture)
    return answer


async def _send(send: Send, answer: _Answer) -> None:
    await send({"type": "http.response.start", "status": answer.status,
                "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})


async def _trickle(send: Send, receive: Receive, answer: _Answer, pause: float) -> None:
    """The headers, then the body a byte at a time, PAUSE apart; stop when the client leaves."""
    gone = asyncio.ensure_future(_client_gone(receive))
    try:
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": answer.headers})
        for index in range(len(answer.body)):
            await send({"type": "http.response.body", "body": answer.body[index:index + 1],
                        "more_body": True})
            await asyncio.wait([gone], timeout=pause)
            if gone.done():
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        gone.cancel()


async def _client_gone(receive: Receive) -> None:
    """Return once the client has disconnected (after the rest of its request body)."""
    while (await receive())["type"] != "http.disconnect":
        continue


# --- list-only faults: lying pages -----------------------------------------------------


def _asked_page(scope: Scope) -> int:
    """The page a list request asks for (1 when absent or not a number)."""
    value = _query(scope).get("page", "1")
    return int(value) if value.isdigit() and int(value) >= 1 else 1


def _query(scope: Scope) -> dict[str, str]:
    return dict(parse_qsl(bytes(scope.get("query_string", b"")).decode("latin-1"),
                          keep_blank_values=True))


class _PageFetcher:
    """Asks the app for any page of the same list request (same account, limit and key)."""

    def __init__(self, app: ASGIApp, scope: Scope) -> None:
        self.app = app
        self.scope = scope

    async def answer(self, page: int) -> _Answer:
        query = {**_query(self.scope), "page": str(page)}
        scope = {**self.scope, "query_string": urlencode(query).encode("latin-1")}
        return await _run_capturing(self.app, scope, _no_body)

    async def page(self, page: int) -> tuple[_Answer, dict[str, Any] | None]:
        """The answer, and its decoded page when it is a 200 list answer."""
        answer = await self.answer(page)
        if answer.status != 200:
            return answer, None
        data: dict[str, Any] = json.loads(answer.body)
        return answer, data

    def account(self) -> str:
        return _query(self.scope).get("account_id", "acct")


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _json_answer(data: dict[str, Any]) -> _Answer:
    body = json.dumps(data).encode()
    return _Answer(200, [(b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())], body)


async def _stuck_page(pages: _PageFetcher, page: int) -> _Answer:
    """Page 1, whatever page was asked for."""
    return await pages.answer(1)


async def _endless(pages: _PageFetcher, page: int) -> _Answer:
    """An enormous total; past the end, the earlier pages again, as if there were more."""
    answer, data = await pages.page(page)
    if data is None:
        return answer
    total, per_page = int(data["total_item_count"]), int(data["items_per_page"])
    if not data["items"] and total > 0:
        last_page = -(-total // per_page)
        _, again = await pages.page((page - 1) % last_page + 1)
        data["items"] = again["items"] if again is not None else []
    data.update(total_item_count=ENDLESS_TOTAL, current_page=page)
    return _json_answer(data)


async def _repeat_id(pages: _PageFetcher, page: int) -> _Answer:
    """The page, starting with the previous page's last item (a non-empty page after 1)."""
    answer, data = await pages.page(page)
    if data is None or page == 1 or not data["items"]:
        return answer
    _, before = await pages.page(page - 1)
    if before is None or not before["items"]:
        return answer
    data["items"] = [before["items"][-1], *data["items"]]
    return _json_answer(data)


async def _malformed(pages: _PageFetcher, page: int) -> _Answer:
    """The page with three bad items first: no id, a list as name, a path as id."""
    answer, data = await pages.page(page)
    if data is None:
        return answer
    base: dict[str, Any] = (dict(data["items"][0]) if data["items"]
                            else {"name": "malformed", "account_id": pages.account()})
    base.pop("id", None)
    bad = [base, {**base, "id": "malformed-name", "name": ["a"]}, {**base, "id": HOSTILE_ID}]
    data["items"] = [*bad, *data["items"]]
    return _json_answer(data)


_LIST_FAULTS: dict[str, Callable[[_PageFetcher, int], Awaitable[_Answer]]] = {
    "stuck-page": _stuck_page,
    "endless": _endless,
    "repeat-id": _repeat_id,
    "malformed": _malformed,
}


async def _drain(receive: Receive) -> None:
    """Read the whole request body, so the close is a clean FIN and not a reset."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _send_error(send: Send, status: int) -> None:
    body = json.dumps({"detail": _MESSAGES[str(status)]}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 429:
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def drop_connection(send: Send) -> None:
    """Close the client's connection without writing any HTTP answer (see module doc)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if not isinstance(transport, asyncio.BaseTransport):
        raise ConnectionDropped("connection dropped (injected fault)")
    transport.close()
    # Let the server notice the closed connection, so it does not try to answer 500.
    for _ in range(10):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)
