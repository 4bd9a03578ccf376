"""Helpers shared by the API tests."""

from __future__ import annotations

from fastapi.testclient import TestClient

PASSWORD = "secret-123"


def login(client: TestClient, user: str) -> dict[str, str]:
    """Bearer header for ``user``."""
    r = client.post("/api/auth/token", data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
