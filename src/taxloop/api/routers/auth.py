"""Log in (password -> bearer token) and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from taxloop.api.accounts import authenticate
from taxloop.api.deps import AppSettings, CurrentUser, get_store
from taxloop.api.security import issue_token
from taxloop.workflow.store import WorkflowStore

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Token(BaseModel):
    """A bearer token."""

    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    """The logged-in principal."""

    username: str
    role: str
    display_name: str
    officer_id: str | None
    region_code: str | None
    unit_code: str | None


@router.post("/token", response_model=Token)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    settings: AppSettings,
    store: Annotated[WorkflowStore, Depends(get_store)],
) -> Token:
    """Exchange username and password for a bearer token (8 hours)."""
    with store.engine.connect() as conn:
        principal = authenticate(conn, form.username, form.password)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password / 用户名或密码错误")
    return Token(access_token=issue_token(principal.username, settings.secret_key))


@router.get("/me", response_model=Me)
def me(principal: CurrentUser) -> Me:
    """The caller's account, role and data scope."""
    return Me(**principal.__dict__)
