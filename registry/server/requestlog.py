"""`serve --request-log FILE`: one line per API request, for tests that check call order.

A line is `METHOD PATH STATUS`, e.g. `PATCH /v4/models/4f0c... 200`, plus ` fault=KIND`
when a fault was injected. STATUS is the status the request was answered with (the
API's, or the injected one); `-` when it got none (a `drop`, or a client gone first). A
`drop-after` line has the status the API answered before the connection was dropped:
the request took effect. The line is written when the status is decided, before the
answer goes out, so a client that waits for each answer finds its calls in the file in
the order it made them. Never the query, a header or the key; the path is
percent-encoded, so a line is always one line.

The file is opened once, in append mode, and each line is flushed as it is written.
Kept free of Starlette.
"""

from __future__ import annotations

import threading
from typing import TextIO
from urllib.parse import quote

_PATH_SAFE = "/-._~!$&'()*+,;=:@"


def request_line(method: str, path: str, status: int | None, fault: str | None) -> str:
    """The log line of one request (without the newline)."""
    line = f"{method} {quote(path, safe=_PATH_SAFE)} {'-' if status is None else status}"
    return line if fault is None else f"{line} fault={fault}"


class RequestLog:
    """The request log file: lines appended and flushed, from any thread."""

    def __init__(self, path: str) -> None:
        """Open `path` for appending (created if missing); OSError if it cannot be."""
        self.path = path
        self._lock = threading.Lock()
        self._file: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed by close)

    def write(self, line: str) -> None:
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()
