"""Run the local API under uvicorn: bind, announce the URL, serve until SIGINT/SIGTERM.

- The listening socket is bound here, before uvicorn starts, so `--port 0` yields a real
  port that is printed (one line on stdout, flushed) once uvicorn is accepting.
- SIGINT and SIGTERM stop the server gracefully (in-flight requests finish, at most
  5 s; a second SIGINT forces it) and the command exits 0. The handlers are installed
  here, not by uvicorn: uvicorn's own handlers re-raise the signal after shutdown, which
  would turn a clean stop into a death by SIGTERM or a KeyboardInterrupt.
- Logs are uvicorn's warnings and errors plus one line per injected fault, all on
  stderr; no access log, and nothing ever includes the API key. `--request-log FILE`
  appends one line per API request to FILE (registry.server.requestlog).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import Any

from registry.errors import ConfigError, RegistryError
from registry.extras import missing_extra
from registry.server.requestlog import RequestLog
from registry.server.store import Store

try:  # the base install has neither uvicorn nor FastAPI (nor starlette)
    import uvicorn
    from starlette.types import ASGIApp

    from registry.server.app import create_asgi
    from registry.server.faults import DEFAULT_FAULT_KINDS, parse_fault_kinds
    from registry.server.settings import Settings
except ModuleNotFoundError as exc:
    raise missing_extra("serve", exc) from None

BANNER = "Serving the model-templates API on"
GRACEFUL_SHUTDOWN_SECONDS = 5
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve(
    *,
    host: str,
    port: int,
    db: str | None,
    api_key: str | None,
    accounts: list[str],
    latency_ms: float,
    fault_rate: float,
    fault_seed: int,
    insecure: bool,
    fault_kinds: str | None = None,
    max_page_size: int | None = None,
    refuse_used_template_delete: bool = False,
    request_log: str | None = None,
) -> int:
    """Serve until stopped; 0 after a clean stop, RegistryError if it cannot start
    (ConfigError without a key, or with unknown fault kinds).

    `fault_kinds` is `--fault-kinds` as given ("500,drop"; None: the default kinds);
    `request_log` a file to append a line to per API request (registry.server.requestlog)."""
    if not api_key and not insecure:
        raise ConfigError("refusing to start without an API key: pass --api-key KEY or set "
                          "TEMPLATE_REGISTRY_SERVE_API_KEY (or --insecure for an open local "
                          "server)")
    try:
        kinds = DEFAULT_FAULT_KINDS if fault_kinds is None else parse_fault_kinds(fault_kinds)
    except ValueError as exc:
        raise ConfigError(f"--fault-kinds: {exc}") from None
    if not api_key:
        _err("warning: --insecure: any client may call this server without a key")
    settings = Settings(
        api_key=api_key or None,
        accounts=frozenset(a for a in accounts if a),
        db=db,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        fault_seed=fault_seed,
        fault_kinds=kinds,
        max_page_size=max_page_size,
        refuse_used_template_delete=refuse_used_template_delete,
    )
    with ExitStack() as resources:
        try:
            store = Store(db)
        except (sqlite3.Error, OSError) as exc:
            raise RegistryError(f"cannot open the database {db}: {exc}") from None
        resources.callback(store.close)
        log = None
        if request_log is not None:
            try:
                log = RequestLog(request_log)
            except OSError as exc:
                raise RegistryError(f"cannot open the request log {request_log}: "
                                    f"{exc.strerror or exc}") from None
            resources.callback(log.close)
        try:
            sock = bind_socket(host, port)
        except OSError as exc:
            raise RegistryError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        if fault_rate > 0:
            _err(f"faults: rate {fault_rate}, seed {fault_seed}, kinds {','.join(kinds)}")
        app = create_asgi(settings, store, request_log=None if log is None else log.write)
        return run(app, sock, url_for(host, sock))


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: the system picks a free one)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def url_for(host: str, sock: socket.socket) -> str:
    """The base URL clients use: the host as given, the port as actually bound."""
    port = int(sock.getsockname()[1])
    shown = host or "0.0.0.0"
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def run(app: ASGIApp, sock: socket.socket, url: str) -> int:
    """Serve `app` on `sock` until a stop signal; print the URL once accepting."""
    config = uvicorn.Config(
        app,
        http="h11",  # faults.drop_connection relies on uvicorn's own protocol classes
        ws="none",
        lifespan="off",
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = _Server(config)

    def stop(signum: int, frame: FrameType | None) -> None:
        if server.should_exit and signum == signal.SIGINT:
            server.force_exit = True
        server.should_exit = True

    try:
        with _signal_handlers(stop):
            asyncio.run(_serve_and_announce(server, sock, url))
    except SystemExit as exc:  # uvicorn exits this way when startup fails
        raise RegistryError(f"the server could not start ({exc.code})") from None
    finally:
        sock.close()
    if not server.started:
        raise RegistryError("the server stopped before it started serving")
    return 0


class _Server(uvicorn.Server):
    """Uvicorn's server without its signal handling (see `run`)."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_and_announce(server: uvicorn.Server, sock: socket.socket, url: str) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        print(f"{BANNER} {url}", flush=True)
    await task


@contextmanager
def _signal_handlers(handler: Callable[[int, FrameType | None], None]) -> Iterator[None]:
    """Route SIGINT/SIGTERM to `handler` (main thread only), restoring the old ones after."""
    previous: dict[signal.Signals, Any] = {}
    try:
        for sig in _SIGNALS:
            previous[sig] = signal.signal(sig, handler)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
