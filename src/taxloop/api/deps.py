"""FastAPI dependencies: settings, stores, the calling principal and role checks (``Annotated`` style).

Dependencies that only read ``app.state`` or check a token are ``async`` so FastAPI runs them on the event loop
instead of handing each to the thread pool (a thread hop costs more than the work). Database work stays sync.
Read-only endpoints use :func:`reading`: one connection for the principal lookup and the queries, no transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.api.accounts import Principal, load_principal
from taxloop.api.security import read_token
from taxloop.config import Settings
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.uow import UnitOfWork

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def _unauthorized() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, "not authenticated / 未登录", headers={"WWW-Authenticate": "Bearer"}
    )


async def get_settings(request: Request) -> Settings:
    """Settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> WorkflowStore:
    """The workflow store (built once per app)."""
    store: WorkflowStore = request.app.state.store
    return store


def get_backend(request: Request) -> AnalyticsBackend:
    """The analytics backend (built lazily once per app; DuckDB by default)."""
    factory: Callable[[], AnalyticsBackend] = request.app.state.backend_factory
    return factory()


async def get_backend_factory(request: Request) -> Callable[[], AnalyticsBackend]:
    """The per-request backend factory, for endpoints that need a backend only sometimes (call it in the thread)."""
    factory: Callable[[], AnalyticsBackend] = request.app.state.backend_factory
    return factory


async def get_username(request: Request, token: Annotated[str | None, Depends(oauth2)] = None) -> str:
    """The username in the bearer token or the web session cookie (signature and expiry checked); 401 otherwise."""
    raw = token or request.cookies.get("taxloop_token")
    username = read_token(raw, request.app.state.settings.secret_key) if raw else None
    if username is None:
        raise _unauthorized()
    return username


def get_principal(
    store: Annotated[WorkflowStore, Depends(get_store)], username: Annotated[str, Depends(get_username)]
) -> Principal:
    """The caller's active account; 401 when it is gone or deactivated."""
    with store.reader(username) as uow:
        principal = load_principal(uow.conn, username)
    if principal is None:
        raise _unauthorized()
    return principal


@contextmanager
def reading(store: WorkflowStore, username: str) -> Iterator[tuple[UnitOfWork, Principal]]:
    """A read-only unit of work and the caller's principal, looked up on the same connection; 401 if inactive."""
    with store.reader(username) as uow:
        principal = load_principal(uow.conn, username)
        if principal is None:
            raise _unauthorized()
        yield uow, principal


def get_uow(
    store: Annotated[WorkflowStore, Depends(get_store)], principal: Annotated[Principal, Depends(get_principal)]
) -> Iterator[UnitOfWork]:
    """A unit of work acting as the caller."""
    with store.uow(actor=principal.username) as uow:
        yield uow


def require(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency factory: the caller must have one of ``roles``."""

    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"role {principal.role!r} may not do this; needs {', '.join(roles)} / 无权限"
            )
        return principal

    return check


CurrentUser = Annotated[Principal, Depends(get_principal)]
Username = Annotated[str, Depends(get_username)]
Store = Annotated[WorkflowStore, Depends(get_store)]
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Backend = Annotated[AnalyticsBackend, Depends(get_backend)]
BackendFactory = Annotated[Callable[[], AnalyticsBackend], Depends(get_backend_factory)]
AppSettings = Annotated[Settings, Depends(get_settings)]
