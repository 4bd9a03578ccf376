"""The composition root: the only place that turns settings into live objects.

Commands, the API and tests ask here for backends and stores; nothing is built at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.config import Settings

if TYPE_CHECKING:
    from taxloop.workflow.guard import StepGuard

if TYPE_CHECKING:
    from taxloop.workflow.store import WorkflowStore


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and config file, with explicit overrides (None = keep)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]


def warehouse(settings: Settings, root: Path | None = None) -> Warehouse:
    """The warehouse folder (created if absent)."""
    return Warehouse(root or settings.warehouse).ensure()


def analytics(settings: Settings, root: Path | None = None, backend: str | None = None) -> AnalyticsBackend:
    """The configured analytics backend over the warehouse."""
    wh = warehouse(settings, root)
    kind = backend or settings.analytics_backend
    if kind == "duckdb":
        from taxloop.analytics.duckdb_backend import DuckDBBackend

        return DuckDBBackend(wh, memory_limit=settings.memory_limit, threads=settings.threads)
    if kind == "spark":
        from taxloop.analytics.spark_backend import SparkBackend

        return SparkBackend(wh, master=settings.spark_master)
    raise ValueError(f"unknown analytics backend {kind!r}; expected 'duckdb' or 'spark'")


def workflow_store(settings: Settings, root: Path | None = None) -> WorkflowStore:
    """The workflow store (SQLite beside the warehouse unless ``workflow_url`` is set), migrated to head."""
    from taxloop.workflow.store import WorkflowStore

    url = settings.workflow_url
    if not url:
        url = f"sqlite:///{(warehouse(settings, root).root / 'workflow.sqlite').resolve()}"
    return WorkflowStore.open(url, anchor_every=settings.audit_anchor_every)


def step_guard(settings: Settings, backend: AnalyticsBackend) -> StepGuard:
    """Real-time internal control for power-matter steps: the integrity rules over the warehouse's recent
    operations (``internal_control``), or a guard that allows everything when switched off."""
    from taxloop.workflow.guard import AllowAllGuard

    if not settings.internal_control:
        return AllowAllGuard()
    from taxloop.integrity.guard import IntegrityGuard, WarehouseSource

    return IntegrityGuard(WarehouseSource(backend))
