"""Fault injection and latency for the local server: to test how clients survive trouble.

Mechanics:
- Only API calls (paths under `/v4/`) are affected; `/healthz` never is, so waiting for
  the server to come up neither fails nor consumes random draws.
- `FaultInjector` draws exactly two numbers from `random.Random(seed)` for every API
  request, in arrival order: one decides whether the request fails (probability
  `rate`), the other which fault it gets. Same seed and same request order, same faults.
- The kinds, equally likely: `500`, `503`, `429` (with `Retry-After: 1`) answered before
  the request reaches the API, so nothing happens; `drop`, the request is read and the
  connection closed without any HTTP answer, nothing happens; `drop-after`, the request
  is processed normally (a create is stored and committed, a delete done) and then its
  answer is dropped. The last one is what makes a naive client create a template twice.
- `--latency-ms` delays every API answer (or drop) by that much, with `asyncio.sleep`,
  after the fault draw so that concurrent requests keep their arrival order.
- Each injected fault is logged on one line (default: stderr), e.g.
  `fault: POST /v4/model-templates -> 503`. Never with headers, so never the key.

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
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal["500", "503", "429", "drop", "drop-after"]
FAULT_KINDS: tuple[FaultKind, ...] = ("500", "503", "429", "drop", "drop-after")
RETRY_AFTER_SECONDS = 1
API_PREFIX = "/v4/"

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


class FaultInjector:
    """Seeded, thread-safe chooser: deterministic for a given seed and request order."""

    def __init__(self, rate: float, seed: int, kinds: tuple[FaultKind, ...] = FAULT_KINDS) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, got {rate}")
        if not kinds:
            raise ValueError("at least one fault kind is needed")
        self.rate = rate
        self.kinds = kinds
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def choose(self, method: str, path: str) -> FaultKind | None:
        """The fault for the next request, or None; always two draws, whatever the outcome."""
        if self.rate <= 0.0:
            return None
        with self._lock:
            roll = self._rng.random()
            pick = self._rng.random()
        if roll >= self.rate:
            return None
        return self.kinds[min(int(pick * len(self.kinds)), len(self.kinds) - 1)]


def stderr_log(line: str) -> None:
    """Write one log line to stderr right away (the default fault log)."""
    print(line, file=sys.stderr, flush=True)


@dataclass
class FaultMiddleware:
    """Outermost ASGI layer: adds latency and injects faults into API calls."""

    app: ASGIApp
    chooser: FaultChooser | None = None
    latency_ms: float = 0.0
    log: Callable[[str], None] = stderr_log

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
            await self.app(scope, receive, send)
        elif fault == "drop":
            self.log(f"fault: {method} {path} -> connection dropped")
            await _drain(receive)
            await drop_connection(send)
        elif fault == "drop-after":
            status = await _run_discarding_answer(self.app, scope, receive)
            self.log(f"fault: {method} {path} -> processed ({status}), connection dropped")
            await drop_connection(send)
        else:
            self.log(f"fault: {method} {path} -> {fault}")
            await _send_error(send, int(fault))


async def _run_discarding_answer(app: ASGIApp, scope: Scope, receive: Receive) -> int:
    """Run the request fully (its effects happen) and return the status it would have had."""
    status = 0

    async def discard(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, discard)
    return status


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
