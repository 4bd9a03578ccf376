"""Build the FastAPI application (called by ``taxloop serve`` and by tests; nothing is built at import)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from taxloop import __version__
from taxloop.analytics.backend import AnalyticsBackend
from taxloop.config import Settings
from taxloop.workflow.errors import ResponseRefused, StepBlocked, WorkflowError
from taxloop.workflow.store import WorkflowStore


def _lazy_backend(settings: Settings) -> Callable[[], AnalyticsBackend]:
    """Per-request analytics backends: cursors over one backend built lazily per process (see ``backend_cache``)."""
    from taxloop import bootstrap
    from taxloop.api.backend_cache import BackendCache

    cache = BackendCache(lambda: bootstrap.analytics(settings), lambda: bootstrap.warehouse(settings))
    return cache.get


def create_app(settings: Settings, store: WorkflowStore | None = None) -> FastAPI:
    """The API (and, when present, the web pages) over a workflow store and the warehouse."""
    from taxloop import bootstrap
    from taxloop.api.routers import audit, auth, dashboard, hub, integrity, matters, reviews, tasks

    app = FastAPI(
        title="taxloop API",
        version=__version__,
        description="Tax risk management and integrity risk control / 税收风险管理与廉政风险防控",
    )
    app.state.settings = settings
    app.state.store = store or bootstrap.workflow_store(settings)
    app.state.backend_factory = _lazy_backend(settings)
    from taxloop.api.admission import AdmissionLimit
    from taxloop.workflow.store import MAX_OVERFLOW, POOL_SIZE

    app.add_middleware(AdmissionLimit, limit=POOL_SIZE + MAX_OVERFLOW)

    @app.exception_handler(WorkflowError)
    def _domain_error(_: Request, exc: WorkflowError) -> JSONResponse:
        body: dict[str, object] = {"detail": str(exc), "error": type(exc).__name__}
        if isinstance(exc, ResponseRefused):
            body["missing"] = exc.missing
        if isinstance(exc, StepBlocked):
            body["reasons"], body["rule_codes"] = exc.reasons, exc.rule_codes
        return JSONResponse(body, status_code=exc.status_code)

    @app.exception_handler(ValueError)
    def _bad_value(_: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": "ValueError"}, status_code=422)

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness check."""
        return {"status": "ok", "version": __version__}

    for router in (auth, tasks, reviews, dashboard, integrity, matters, hub, audit):
        app.include_router(router.router)
    from taxloop.web.pages import mount_web

    mount_web(app)
    return app
