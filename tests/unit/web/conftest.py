"""A TestClient over the web world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from taxloop.api.app import create_app
from taxloop.config import Settings
from web_world import build_world


@pytest.fixture()
def web(tmp_path: Path) -> Iterator[TestClient]:
    wh, store = build_world(tmp_path)
    app = create_app(Settings(warehouse=wh, secret_key="web-test-secret-0123456789abcdef0123"), store)
    with TestClient(app) as client:
        yield client
    store.dispose()
