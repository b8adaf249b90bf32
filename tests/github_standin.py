"""A local stand-in for the parts of GitHub's REST API that registry/github.py calls.

One repository's issues (pull requests are issues too, as on GitHub) and their comments,
in memory, on a loopback port; every request is recorded (method, path, JSON body). As
GitHub: `Authorization: Bearer TOKEN` is required (401 without it); a read-only token
may read but every write answers 403; a body over 65,536 characters answers 422;
listings are paged by `per_page` and `page`, oldest first.

    with GitHubStandIn() as github:
        github.url, github.token, github.requests, github.comments_on(7), github.issues
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 65_536
REPOSITORY = "acme/registry"


@dataclass
class Request:
    method: str
    path: str
    body: dict[str, Any] | None


@dataclass
class GitHubStandIn:
    repository: str = REPOSITORY
    token: str = "gh-token-never-printed-77"
    read_only_token: str = "gh-read-only-token-55"
    requests: list[Request] = field(default_factory=list)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> comment
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> issue
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> GitHubStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._handle(self, "GET")

            def do_POST(self) -> None:
                standin._handle(self, "POST")

            def do_PATCH(self) -> None:
                standin._handle(self, "PATCH")

            def do_DELETE(self) -> None:
                standin._handle(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                return None  # quiet: the tests read `requests`

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # --- what the tests set up and read -----------------------------------------------

    def add_pull_request(self, number: int) -> None:
        self.issues[number] = {"number": number, "state": "open", "title": "a change",
                               "body": "", "pull_request": {"url": "..."}}

    def add_comment(self, number: int, body: str, login: str = "someone") -> int:
        with self._lock:
            return self._new_comment(number, body, login)

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return sorted((c for c in self.comments.values() if c["issue"] == number),
                      key=lambda c: int(c["id"]))

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every request but reads, in order."""
        return [(r.method, r.path) for r in self.requests if r.method != "GET"]

    # --- the API ------------------------------------------------------------------------

    def _new_comment(self, number: int, body: str, login: str) -> int:
        self._next_id += 1
        self.comments[self._next_id] = {
            "id": self._next_id, "issue": number, "body": body, "user": {"login": login},
            "html_url": f"https://github.test/{self.repository}/pull/{number}"
                        f"#issuecomment-{self._next_id}"}
        return self._next_id

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with self._lock:
            self.requests.append(Request(method, parts.path, body))
            status, answer = self._answer(handler.headers.get("Authorization", ""), method,
                                          parts.path, parse_qs(parts.query), body)
        data = b"" if answer is None else json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, auth: str, method: str, path: str, query: dict[str, list[str]],
                body: dict[str, Any] | None) -> tuple[int, Any]:
        if auth not in (f"Bearer {self.token}", f"Bearer {self.read_only_token}"):
            return 401, {"message": "Bad credentials"}
        if method != "GET" and auth == f"Bearer {self.read_only_token}":
            return 403, {"message": "Resource not accessible by integration"}
        if body is not None and len(str(body.get("body", ""))) > MAX_BODY:
            return 422, {"message": "Validation Failed: body is too long (maximum is 65536 "
                                    "characters)"}
        base = f"/repos/{self.repository}"
        routes = [
            ("GET", rf"{base}/issues/(\d+)/comments", self._list_comments),
            ("POST", rf"{base}/issues/(\d+)/comments", self._create_comment),
            ("PATCH", rf"{base}/issues/comments/(\d+)", self._update_comment),
            ("DELETE", rf"{base}/issues/comments/(\d+)", self._delete_comment),
            ("GET", rf"{base}/issues", self._list_issues),
            ("POST", rf"{base}/issues", self._create_issue),
            ("PATCH", rf"{base}/issues/(\d+)", self._update_issue),
        ]
        for verb, pattern, route in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                return route(*match.groups(), query=query, body=body or {})
        return 404, {"message": "Not Found"}

    @staticmethod
    def _page(items: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        return items[(page - 1) * per_page: page * per_page]

    def _list_comments(self, number: str, *, query: dict[str, list[str]],
                       body: dict[str, Any]) -> tuple[int, Any]:
        if int(number) not in self.issues:
            return 404, {"message": "Not Found"}
        return 200, self._page(self.comments_on(int(number)), query)

    def _create_comment(self, number: str, *, query: dict[str, list[str]],
                        body: dict[str, Any]) -> tuple[int, Any]:
        if int(number) not in self.issues:
            return 404, {"message": "Not Found"}
        made = self._new_comment(int(number), body["body"], "github-actions[bot]")
        return 201, self.comments[made]

    def _update_comment(self, ident: str, *, query: dict[str, list[str]],
                        body: dict[str, Any]) -> tuple[int, Any]:
        if int(ident) not in self.comments:
            return 404, {"message": "Not Found"}
        self.comments[int(ident)]["body"] = body["body"]
        return 200, self.comments[int(ident)]

    def _delete_comment(self, ident: str, *, query: dict[str, list[str]],
                        body: dict[str, Any]) -> tuple[int, Any]:
        if self.comments.pop(int(ident), None) is None:
            return 404, {"message": "Not Found"}
        return 204, None

    def _list_issues(self, *, query: dict[str, list[str]],
                     body: dict[str, Any]) -> tuple[int, Any]:
        state = query.get("state", ["open"])[0]
        chosen = [issue for _, issue in sorted(self.issues.items())
                  if state == "all" or issue["state"] == state]
        return 200, self._page(chosen, query)

    def _create_issue(self, *, query: dict[str, list[str]],
                      body: dict[str, Any]) -> tuple[int, Any]:
        number = max(self.issues, default=0) + 1
        self.issues[number] = {
            "number": number, "state": "open", "title": body["title"], "body": body["body"],
            "html_url": f"https://github.test/{self.repository}/issues/{number}"}
        return 201, self.issues[number]

    def _update_issue(self, number: str, *, query: dict[str, list[str]],
                      body: dict[str, Any]) -> tuple[int, Any]:
        if int(number) not in self.issues:
            return 404, {"message": "Not Found"}
        self.issues[int(number)].update(body)
        return 200, self.issues[int(number)]
