"""Bearer tokens (JWT, HS256) for the API and the web pages (cookie)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

TOKEN_HOURS = 8


def issue_token(username: str, secret: str, hours: int = TOKEN_HOURS) -> str:
    """A signed token naming the user, valid for ``hours``."""
    now = datetime.now(UTC)
    return jwt.encode({"sub": username, "iat": now, "exp": now + timedelta(hours=hours)}, secret, algorithm="HS256")


def read_token(token: str, secret: str) -> str | None:
    """The username in a valid, unexpired token; None otherwise."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    return sub if isinstance(sub, str) else None
