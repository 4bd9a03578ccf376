"""Admission control: at most N requests in flight per process, the rest wait (without holding a thread).

Sync endpoints run in a thread pool (40 threads) while the database pool has fewer connections. Under load,
every thread can end up blocked waiting for a connection while the requests that hold the connections wait for
a free thread to run their endpoint: a deadlock that only ends with the pool's 30 s timeout and a burst of
errors. Admitting no more requests than the database pool has connections (each request holds at most one at a
time) makes that impossible; waiting requests queue in the event loop, first come first served.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send


class AdmissionLimit:
    """Pure ASGI middleware: ``limit`` concurrent HTTP requests per process."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"admission limit must be at least 1, got {limit}")
        self.app = app
        self.limit = limit
        self._sem: asyncio.Semaphore | None = None  # made on first request, inside the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait for a slot for HTTP requests; pass everything else straight through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.limit)
        async with self._sem:
            await self.app(scope, receive, send)
