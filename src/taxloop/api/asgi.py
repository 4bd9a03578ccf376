"""ASGI entry for uvicorn workers: ``taxloop.api.asgi:app`` (settings from the environment)."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """Build the app on first access (never at import of other modules)."""
    if name == "app":
        from taxloop.api.app import create_app
        from taxloop.bootstrap import load_settings

        application = create_app(load_settings())
        globals()["app"] = application
        return application
    raise AttributeError(name)
