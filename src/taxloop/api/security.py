"""Bearer tokens (JWT, HS256) for the API and the web pages (cookie)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

TOKEN_HOURS = 8
#: Verified tokens remembered per process (a token string is immutable: its signature needs checking once)
VERIFIED_CACHE = 4096


def issue_token(username: str, secret: str, hours: int = TOKEN_HOURS) -> str:
    """A signed token naming the user, valid for ``hours``."""
    now = datetime.now(UTC)
    return jwt.encode({"sub": username, "iat": now, "exp": now + timedelta(hours=hours)}, secret, algorithm="HS256")


@lru_cache(maxsize=VERIFIED_CACHE)
def _verified(token: str, secret: str) -> tuple[str, float] | None:
    """``(username, expiry epoch)`` of a token whose signature and claims check out now; None otherwise."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    return (sub, float(claims["exp"])) if isinstance(sub, str) else None


def read_token(token: str, secret: str) -> str | None:
    """The username in a valid, unexpired token; None otherwise.

    The signature is verified once per token and process (bounded cache); the expiry is checked on every call.
    """
    verified = _verified(token, secret)
    if verified is None or verified[1] <= time.time():
        return None
    return verified[0]
