"""Log in and out, the home page (by role), the provider ledger page, static assets; mounting onto the app."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from taxloop.api.accounts import authenticate
from taxloop.api.security import issue_token
from taxloop.hub.bulletin import rank_providers
from taxloop.hub.registry import load_registry
from taxloop.web import analyst, inspector, leader, officer
from taxloop.web.common import LoginRequired, PageUser, render, require_page_role

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
HOME_BY_ROLE = {"leader": "/dashboard", "auditor": "/dashboard", "analyst": "/indicators", "discipline": "/integrity"}


def mount_web(app: FastAPI) -> None:
    """Add the web pages, static files and the login redirect to an API app."""
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")

    @app.exception_handler(LoginRequired)
    def _login(_: Request, __: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.get("/assets/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        """Plotly's JavaScript from the installed plotly package (no CDN)."""
        return FileResponse(PLOTLY_JS, media_type="application/javascript")

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request) -> HTMLResponse:
        return render(request, "login.html", None)

    @app.post("/login", response_class=HTMLResponse, include_in_schema=False)
    def login(request: Request, username: str = Form(...), password: str = Form(...)) -> Response:
        with request.app.state.store.engine.connect() as conn:
            principal = authenticate(conn, username, password)
        if principal is None:
            return render(request, "login.html", None, status_code=401, error=True)
        response = RedirectResponse("/", status_code=303)
        token = issue_token(principal.username, request.app.state.settings.secret_key)
        response.set_cookie("taxloop_token", token, httponly=True, samesite="lax")
        return response

    @app.get("/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie("taxloop_token")
        return response

    @app.get("/", include_in_schema=False)
    def home(user: PageUser) -> Response:
        target = (
            "/inbox" if user.officer_id and user.role not in HOME_BY_ROLE else HOME_BY_ROLE.get(user.role, "/inbox")
        )
        return RedirectResponse(target, status_code=303)

    @app.get("/hub", response_class=HTMLResponse, include_in_schema=False)
    def hub_page(request: Request, user: PageUser) -> HTMLResponse:
        require_page_role(user, "leader", "analyst", "auditor", "inspector")
        backend = request.app.state.backend_factory()
        rows = (
            backend.query("SELECT * FROM provider_ledger ORDER BY period DESC, provider, tbl").to_pylist()
            if backend.has_table("provider_ledger")
            else []
        )
        periods = sorted({str(r["period"]) for r in rows if r["period"]}, reverse=True)
        marks = rank_providers(rows, periods[0], load_registry()) if periods else []
        return render(request, "hub.html", user, rows=rows[:300], marks=marks, period=periods[0] if periods else None)

    for module in (officer, leader, analyst, inspector):
        app.include_router(module.router)
