"""FastAPI dependencies: settings, stores, the calling principal and role checks (``Annotated`` style)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def get_settings(request: Request) -> Settings:
    """Settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> WorkflowStore:
    """The workflow store (built once per app)."""
    store: WorkflowStore = request.app.state.store
    return store


def get_backend(request: Request) -> AnalyticsBackend:
    """The analytics backend (built lazily once per app; DuckDB by default)."""
    factory: Callable[[], AnalyticsBackend] = request.app.state.backend_factory
    return factory()


def get_principal(
    request: Request,
    store: Annotated[WorkflowStore, Depends(get_store)],
    token: Annotated[str | None, Depends(oauth2)] = None,
) -> Principal:
    """The caller, from the bearer token or the web session cookie; 401 otherwise."""
    raw = token or request.cookies.get("taxloop_token")
    username = read_token(raw, request.app.state.settings.secret_key) if raw else None
    principal = None
    if username is not None:
        with store.engine.connect() as conn:
            principal = load_principal(conn, username)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "not authenticated / 未登录", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


def get_uow(
    store: Annotated[WorkflowStore, Depends(get_store)], principal: Annotated[Principal, Depends(get_principal)]
) -> Iterator[UnitOfWork]:
    """A unit of work acting as the caller."""
    with store.uow(actor=principal.username) as uow:
        yield uow


def require(*roles: str) -> Callable[[Principal], Principal]:
    """Dependency factory: the caller must have one of ``roles``."""

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"role {principal.role!r} may not do this; needs {', '.join(roles)} / 无权限"
            )
        return principal

    return check


CurrentUser = Annotated[Principal, Depends(get_principal)]
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Backend = Annotated[AnalyticsBackend, Depends(get_backend)]
AppSettings = Annotated[Settings, Depends(get_settings)]
