"""The app under test, in process: a TestClient on a fresh app for each test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.server.app import create_app
from registry.server.settings import Settings
from registry.server.store import Store

KEY = "server-test-key"

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client() -> MakeClient:
    """A TestClient on a fresh app; keyword arguments go to Settings (key: KEY)."""

    def make(store: Store | None = None, **settings: Any) -> TestClient:
        settings.setdefault("api_key", KEY)
        client = TestClient(create_app(Settings(**settings), store))
        if settings["api_key"]:
            client.headers["x-api-key"] = settings["api_key"]
        return client

    return make


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()
