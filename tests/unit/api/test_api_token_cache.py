"""Tokens verified once per process still expire, and a deactivated account is refused at once."""

from __future__ import annotations

import jwt
import pytest
import sqlalchemy as sa
from api_helpers import login
from fastapi.testclient import TestClient

from taxloop.api import security
from taxloop.api.accounts import users
from taxloop.api.security import issue_token, read_token

SECRET = "token-cache-secret-0123456789abcdef0123"


def test_cached_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token("A1", SECRET, hours=1)
    assert read_token(token, SECRET) == "A1"
    assert read_token(token, SECRET) == "A1"  # second read from the cache
    later = security.time.time() + 2 * 3600
    monkeypatch.setattr(security.time, "time", lambda: later)
    assert read_token(token, SECRET) is None


def test_bad_signature_wrong_secret_and_missing_expiry_are_refused() -> None:
    token = issue_token("A1", SECRET)
    assert read_token(token, SECRET + "x") is None
    assert read_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), SECRET) is None
    assert read_token(jwt.encode({"sub": "A1"}, SECRET, algorithm="HS256"), SECRET) is None
    assert read_token(issue_token("A1", SECRET, hours=-1), SECRET) is None


def test_deactivated_account_is_refused_on_the_next_request(api: TestClient) -> None:
    h = login(api, "A1")
    assert api.get("/api/tasks", headers=h).status_code == 200
    assert api.get("/api/tasks/T1", headers=h).status_code == 200
    store = api.app.state.store  # type: ignore[attr-defined]
    with store.engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.username == "A1").values(active=False))
    assert api.get("/api/tasks", headers=h).status_code == 401
    assert api.get("/api/tasks/T1", headers=h).status_code == 401
    assert api.get("/api/auth/me", headers=h).status_code == 401
