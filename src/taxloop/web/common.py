"""Shared pieces of the web pages: templates, language, the logged-in user (or a redirect to log in)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from taxloop.api.accounts import Principal, load_principal
from taxloop.api.security import read_token
from taxloop.web.i18n import translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class LoginRequired(Exception):
    """Raised by page dependencies when nobody is logged in (the app redirects to /login)."""


def lang_of(request: Request) -> str:
    """``en`` or ``zh`` from the ``lang`` query or cookie, else the configured default."""
    lang = request.query_params.get("lang") or request.cookies.get("lang") or request.app.state.settings.language
    return "en" if lang == "en" else "zh"


def page_user(request: Request) -> Principal:
    """The logged-in user from the session cookie, or ``LoginRequired``."""
    token = request.cookies.get("taxloop_token")
    username = read_token(token, request.app.state.settings.secret_key) if token else None
    if username is None:
        raise LoginRequired()
    with request.app.state.store.reader(username) as uow:
        principal = load_principal(uow.conn, username)
    if principal is None:
        raise LoginRequired()
    return principal


PageUser = Annotated[Principal, Depends(page_user)]


def require_page_role(p: Principal, *roles: str) -> None:
    """403 page unless the user has one of ``roles``."""
    if p.role not in roles:
        raise HTTPException(403, f"role {p.role} may not open this page / 无权访问")


def render(
    request: Request, template: str, user: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page with the language, labels and the navigation for the user's role."""
    lang = lang_of(request)
    response = TEMPLATES.TemplateResponse(
        request, template, {"user": user, "lang": lang, "t": translator(lang), **context}, status_code=status_code
    )
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie("lang", lang, samesite="lax")
    return response


def pct(value: float | None) -> str:
    """A ratio as a percentage, or a dash."""
    return "—" if value is None else f"{value:.1%}"


TEMPLATES.env.filters["pct"] = pct
