"""Run `template-registry serve` as a real process, for tests that need real HTTP.

Usage::

    from tests.live_server import running_server

    with running_server("--account", "acct-1", db=tmp_path / "api.db") as server:
        client = server.client()                  # httpx.Client with base_url and x-api-key
        client.get("/v4/model-templates")
        server.url, server.api_key                # for SGP_CLIENT_BASE_URL / SGP_API_KEY
        server.wait_for_output("fault: ")         # a line of its stdout/stderr

- The server gets `--host 127.0.0.1 --port 0` (a free port) and prints its URL; this
  module reads it, then waits until `/healthz` answers (not an API call, so it never
  meets an injected fault nor consumes a random draw of `--fault-seed`).
- The key goes through the environment (TEMPLATE_REGISTRY_SERVE_API_KEY), not argv.
  `api_key=None` starts it with `--insecure`.
- Leaving the `with` block stops it: SIGTERM, then SIGKILL after `stop_timeout`
  seconds. `start_server()` is the same without the `with` (call `.stop()`/`.kill()`
  yourself, in a `finally`); an atexit hook kills any server a test forgot.
- `template_body(name, account_id)` is a minimal valid create body; `model_body` the
  same for a model.
- `request_log=PATH` starts it with `--request-log PATH`; `server.requests()` then gives
  that file's lines (`METHOD PATH STATUS`), in the order the calls were answered.
- Output is drained by background threads all along (a chatty server never blocks on
  a full pipe) and kept: `output_lines()`, `stdout_lines()`, `stderr_lines()`.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
URL_LINE = re.compile(r"^Serving the model-templates API on (https?://\S+)\s*$")
KEY_ENV = "TEMPLATE_REGISTRY_SERVE_API_KEY"
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

_running: set[subprocess.Popen[str]] = set()
_running_lock = threading.Lock()


class ServerStartError(RuntimeError):
    """The server exited or stayed silent instead of announcing its URL."""


class _Output:
    """Collects the lines of the process's stdout and stderr, in arrival order."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self.changed = threading.Condition()
        self.threads: list[threading.Thread] = []

    def follow(self, stream: IO[str], name: str) -> None:
        thread = threading.Thread(target=self._pump, args=(stream, name), daemon=True)
        thread.start()
        self.threads.append(thread)

    def _pump(self, stream: IO[str], name: str) -> None:
        try:
            with suppress(OSError, ValueError):  # the pipe was closed under us
                for line in stream:
                    with self.changed:
                        self.lines.append((name, line.rstrip("\r\n")))
                        self.changed.notify_all()
        finally:
            with self.changed:
                self.changed.notify_all()

    def snapshot(self, name: str | None = None) -> list[str]:
        with self.changed:
            return [line for source, line in self.lines if name is None or source == name]

    def join(self, timeout: float) -> None:
        for thread in self.threads:
            thread.join(timeout)


@dataclass
class LiveServer:
    """A running `template-registry serve` process."""

    url: str
    api_key: str | None
    process: subprocess.Popen[str]
    db: Path | None = None
    args: tuple[str, ...] = ()
    request_log: Path | None = None
    _output: _Output = field(default_factory=_Output, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_running(self) -> bool:
        return self.process.poll() is None

    def headers(self, account_id: str | None = None) -> dict[str, str]:
        """Request headers: the key (if any) and optionally a selected account."""
        headers = {"x-api-key": self.api_key} if self.api_key else {}
        if account_id is not None:
            headers["x-selected-account-id"] = account_id
        return headers

    def client(self, *, account_id: str | None = None, timeout: float = 10.0,
               **kwargs: Any) -> httpx.Client:
        """An httpx client on this server, authenticated (close it, or use `with`)."""
        return httpx.Client(base_url=self.url, headers=self.headers(account_id),
                            timeout=timeout, **kwargs)

    def requests(self) -> list[str]:
        """The lines of the request log so far (started with `request_log=`)."""
        if self.request_log is None:
            raise ValueError("this server was started without request_log=")
        if not self.request_log.exists():
            return []
        return self.request_log.read_text(encoding="utf-8").splitlines()

    def output_lines(self) -> list[str]:
        """Every line printed so far, stdout and stderr together."""
        return self._output.snapshot()

    def stdout_lines(self) -> list[str]:
        return self._output.snapshot("stdout")

    def stderr_lines(self) -> list[str]:
        return self._output.snapshot("stderr")

    def wait_for_output(self, pattern: str, timeout: float = 5.0) -> str:
        """The first output line matching the regex `pattern`, waiting for it if needed."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._output.changed:
            while True:
                for _, line in self._output.lines:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no output line matches {pattern!r}:\n{self._dump()}")
                self._output.changed.wait(min(left, 0.1))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send `sig` (SIGTERM), wait up to `timeout`, then SIGKILL; the exit code."""
        if self.is_running():
            try:
                self.process.send_signal(sig)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._finish()
        return int(self.process.returncode)

    def kill(self) -> int:
        """SIGKILL now, as a crash would; the exit code (-9)."""
        if self.is_running():
            self.process.kill()
            self.process.wait()
        self._finish()
        return int(self.process.returncode)

    def _finish(self) -> None:
        self._output.join(timeout=5.0)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        with _running_lock:
            _running.discard(self.process)

    def _dump(self) -> str:
        return "\n".join(self.output_lines())


def server_command(*extra_args: str, api_key: str | None, db: str | os.PathLike[str] | None,
                   request_log: str | os.PathLike[str] | None = None) -> list[str]:
    """The argv of a test server on a free loopback port."""
    command = [sys.executable, "-m", "registry", "serve", "--host", "127.0.0.1", "--port", "0"]
    if api_key is None:
        command.append("--insecure")
    if db is not None:
        command += ["--db", os.fspath(db)]
    if request_log is not None:
        command += ["--request-log", os.fspath(request_log)]
    return command + list(extra_args)


def start_server(*extra_args: str, api_key: str | None = "test-key",
                 db: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
                 startup_timeout: float = STARTUP_TIMEOUT,
                 request_log: str | os.PathLike[str] | None = None) -> LiveServer:
    """Start a server and return once it answers; the caller must stop it (in a finally)."""
    child_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    child_env.pop(KEY_ENV, None)
    if api_key is not None:
        child_env[KEY_ENV] = api_key
    process = subprocess.Popen(
        server_command(*extra_args, api_key=api_key, db=db, request_log=request_log),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, encoding="utf-8", errors="replace", bufsize=1, cwd=REPO_ROOT, env=child_env,
    )
    with _running_lock:
        _running.add(process)
    output = _Output()
    assert process.stdout is not None and process.stderr is not None
    output.follow(process.stdout, "stdout")
    output.follow(process.stderr, "stderr")
    server = LiveServer(url="", api_key=api_key, process=process,
                        db=None if db is None else Path(db), args=tuple(extra_args),
                        request_log=None if request_log is None else Path(request_log),
                        _output=output)
    try:
        server.url = _wait_for_url(server, startup_timeout)
        _wait_until_answering(server, startup_timeout)
    except BaseException:
        server.kill()
        raise
    return server


@contextmanager
def running_server(*extra_args: str, api_key: str | None = "test-key",
                   db: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
                   startup_timeout: float = STARTUP_TIMEOUT,
                   stop_timeout: float = STOP_TIMEOUT,
                   request_log: str | os.PathLike[str] | None = None) -> Iterator[LiveServer]:
    """A running server for the `with` block; always stopped (and reaped) on exit."""
    server = start_server(*extra_args, api_key=api_key, db=db, env=env,
                          startup_timeout=startup_timeout, request_log=request_log)
    try:
        yield server
    finally:
        server.stop(timeout=stop_timeout)


def _wait_for_url(server: LiveServer, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    output = server._output
    with output.changed:
        while True:
            for source, line in output.lines:
                match = URL_LINE.match(line)
                if source == "stdout" and match:
                    return match.group(1)
            if server.process.poll() is not None and all(
                not t.is_alive() for t in output.threads
            ):
                raise ServerStartError(
                    f"server exited with {server.process.returncode} before printing its URL:\n"
                    + server._dump()
                )
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServerStartError(f"server printed no URL in {timeout}s:\n{server._dump()}")
            output.changed.wait(min(left, 0.1))


def _wait_until_answering(server: LiveServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(server.url + "/healthz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if not server.is_running():
            raise ServerStartError(f"server exited with {server.process.returncode}")
        if time.monotonic() > deadline:
            raise ServerStartError(f"server at {server.url} did not answer in {timeout}s")
        time.sleep(0.05)


def template_body(name: str, account_id: str = "acct-1", **fields: Any) -> dict[str, Any]:
    """A minimal valid create body (`fields` override or add top-level fields)."""
    body: dict[str, Any] = {
        "name": name,
        "account_id": account_id,
        "endpoint_type": "SYNC",
        "model_type": "GENERIC",
        "vendor_configuration": {
            "bundle_config": {"registry": "registry.example.com", "image": "models/echo",
                              "tag": "1.0.0"},
        },
    }
    body.update(fields)
    return body


def model_body(name: str, account_id: str = "acct-1", **fields: Any) -> dict[str, Any]:
    """A minimal valid `POST /v4/models` body (`fields` add or override fields)."""
    return {"name": name, "account_id": account_id, "model_type": "GENERIC", **fields}


@atexit.register
def _kill_leftovers() -> None:
    """Last resort: never leave a server behind, even if a test forgot to stop one."""
    with _running_lock:
        leftovers = list(_running)
    for process in leftovers:
        if process.poll() is None:
            process.kill()
            process.wait()
