"""`serve --request-log FILE`: one `METHOD PATH STATUS` line per API request, in order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry.server.app import create_asgi
from registry.server.faults import ConnectionDropped, FaultKind
from registry.server.requestlog import request_line
from registry.server.settings import Settings
from registry.server.store import Store
from tests.live_server import KEY_ENV, REPO_ROOT, model_body, running_server, template_body

KEY = "request-log-key"
MODELS = "/v4/models"
TEMPLATES = "/v4/model-templates"


class Scripted:
    """A chooser that answers from a script, then no fault."""

    def __init__(self, *kinds: FaultKind | None) -> None:
        self.script = list(kinds)

    def choose(self, method: str, path: str) -> FaultKind | None:
        return self.script.pop(0) if self.script else None


def logged_client(lines: list[str], *faults: FaultKind | None) -> TestClient:
    app = create_asgi(Settings(api_key=KEY), Store(), chooser=Scripted(*faults) if faults
                      else None, log=lambda line: None, trickle_pause=0.001,
                      request_log=lines.append)
    return TestClient(app, headers={"x-api-key": KEY})


def test_request_line_format() -> None:
    assert request_line("GET", "/v4/models", 200, None) == "GET /v4/models 200"
    assert request_line("POST", "/v4/models", None, "drop") == "POST /v4/models - fault=drop"
    assert request_line("PATCH", "/v4/models/a", 200, "drop-after") == (
        "PATCH /v4/models/a 200 fault=drop-after")
    # A decoded path may hold anything: it stays one line of plain words.
    assert request_line("GET", "/v4/models/a b\nGET /x 200", 404, None) == (
        "GET /v4/models/a%20b%0AGET%20/x%20200 404")


def test_one_line_per_api_request_in_order() -> None:
    lines: list[str] = []
    client = logged_client(lines)
    assert client.get("/healthz").status_code == 200
    template_id = client.post(TEMPLATES, json=template_body("t")).json()["id"]
    model_id = client.post(MODELS, json=model_body("m", model_template_id=template_id)
                           ).json()["id"]
    client.patch(f"{MODELS}/{model_id}", json={"name": "n"})
    client.get(MODELS, params={"page": 2, "account_id": "acct-1"})
    client.get(MODELS, params={"limit": 0})
    client.get(f"{MODELS}/no-such")
    client.delete(f"{MODELS}/{model_id}", headers={"x-api-key": "wrong"})
    client.delete(f"{TEMPLATES}/{template_id}")
    assert lines == [
        f"POST {TEMPLATES} 200",
        f"POST {MODELS} 200",
        f"PATCH {MODELS}/{model_id} 200",
        f"GET {MODELS} 200",
        f"GET {MODELS} 422",
        f"GET {MODELS}/no-such 404",
        f"DELETE {MODELS}/{model_id} 401",
        f"DELETE {TEMPLATES}/{template_id} 200",
    ]


def test_faults_are_in_the_request_log() -> None:
    lines: list[str] = []
    client = logged_client(lines, None, "503", "drop", "drop-after", "stuck-page", "trickle")
    model_id = client.post(MODELS, json=model_body("m")).json()["id"]
    assert client.patch(f"{MODELS}/{model_id}", json={"name": "a"}).status_code == 503
    with pytest.raises(ConnectionDropped):
        client.patch(f"{MODELS}/{model_id}", json={"name": "b"})
    with pytest.raises(ConnectionDropped):
        client.patch(f"{MODELS}/{model_id}", json={"name": "c"})
    assert client.get(MODELS, params={"page": 2}).status_code == 200
    assert client.get(f"{MODELS}/{model_id}").json()["name"] == "c"
    assert lines == [
        f"POST {MODELS} 200",
        f"PATCH {MODELS}/{model_id} 503 fault=503",
        f"PATCH {MODELS}/{model_id} - fault=drop",
        f"PATCH {MODELS}/{model_id} 200 fault=drop-after",
        f"GET {MODELS} 200 fault=stuck-page",
        f"GET {MODELS}/{model_id} 200 fault=trickle",
    ]


def test_a_real_server_logs_the_order_of_calls_to_a_file(tmp_path: Path) -> None:
    log = tmp_path / "requests.log"
    secret = "sk-request-log-secret"
    with running_server(api_key=secret, request_log=log) as server, \
            server.client() as client:
        template_id = client.post(TEMPLATES, json=template_body("t")).json()["id"]
        ids = [client.post(MODELS, json=model_body(f"m{i}", model_template_id=template_id)
                           ).json()["id"] for i in range(3)]
        for model_id in ids:
            client.patch(f"{MODELS}/{model_id}", json={"description": "moved"})
        client.delete(f"{TEMPLATES}/{template_id}")
        assert server.requests() == [
            f"POST {TEMPLATES} 200",
            *[f"POST {MODELS} 200"] * 3,
            *[f"PATCH {MODELS}/{model_id} 200" for model_id in ids],
            f"DELETE {TEMPLATES}/{template_id} 200",
        ]
    with running_server(api_key=secret, request_log=log) as again, \
            again.client() as client:
        client.get(MODELS, params={"account_id": "acct-1"})
    assert again.requests()[-2:] == [f"DELETE {TEMPLATES}/{template_id} 200",
                                     f"GET {MODELS} 200"]  # appended, not overwritten
    assert len(again.requests()) == 9
    assert secret not in log.read_text(encoding="utf-8")


def test_a_request_log_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "requests.log"
    env = {**os.environ, KEY_ENV: "k"}
    result = subprocess.run([sys.executable, "-m", "registry", "serve", "--port", "0",
                             "--request-log", str(missing)], capture_output=True, text=True,
                            timeout=20, env=env, cwd=REPO_ROOT, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (f"template-registry: cannot open the request log {missing}: "
                             "No such file or directory\n")

