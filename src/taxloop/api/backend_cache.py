"""One analytics backend per API process, handed to each request as a cheap cursor.

Building a DuckDB backend (connect, settings, one view per warehouse table) on every request costs milliseconds
under load; instead the app keeps one and gives each request a new cursor over it (views shared, cursors safe
across request threads). The backend is rebuilt when the set of warehouse tables changes (a scan wrote a new
derived table), detected by listing the warehouse folders, which is cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse

AREAS = ("tables", "derived", "quarantine")


def warehouse_signature(wh: Warehouse) -> tuple[tuple[str, ...], ...]:
    """The names of the tables in each warehouse area (changes when a table appears or disappears)."""
    return tuple(tuple(wh.names(area)) if wh.area(area).exists() else () for area in AREAS)


class BackendCache:
    """Builds the backend once (and again when the warehouse's tables change); hands out per-request views."""

    def __init__(self, build: Callable[[], AnalyticsBackend], warehouse: Callable[[], Warehouse]) -> None:
        self._build = build
        self._warehouse = warehouse
        self._lock = threading.Lock()
        self._base: AnalyticsBackend | None = None
        self._sig: tuple[tuple[str, ...], ...] | None = None
        self._names: frozenset[str] = frozenset()
        self.builds = 0

    def get(self) -> AnalyticsBackend:
        """A backend for one request: a new cursor on the shared DuckDB (knowing its table names), or the shared
        backend itself for other kinds (Spark sessions are shared anyway)."""
        sig = warehouse_signature(self._warehouse())
        with self._lock:
            if self._base is None or sig != self._sig:
                # the old backend is left to the garbage collector: requests may still hold cursors on it
                self._base, self._sig = self._build(), sig
                self._names = frozenset(self._base.table_names())
                self.builds += 1
            base, names = self._base, self._names
        if isinstance(base, DuckDBBackend):
            return base.cursor(names)
        return base
