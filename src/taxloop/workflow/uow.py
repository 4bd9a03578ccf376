"""The unit of work: one transaction, its repositories and the audit events it appends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from taxloop.workflow import audit
from taxloop.workflow.repositories import OfficerRepo, TaskRepo


def utcnow() -> datetime:
    """Naive UTC now (the store keeps naive UTC times)."""
    return datetime.now(UTC).replace(tzinfo=None)


class UnitOfWork:
    """A transaction over the workflow store; audit events are chained into it at ``commit``.

    ``read_only=True`` (see ``WorkflowStore.reader``): no transaction is opened and ``commit`` is refused. On
    PostgreSQL the connection runs in autocommit, so a read costs its queries and nothing else (no BEGIN/ROLLBACK
    round trips); each query sees the latest committed data.
    """

    conn: sa.Connection
    tasks: TaskRepo
    officers: OfficerRepo

    def __init__(
                self,
        engine: sa.Engine,
        actor: str = "system",
        clock: Callable[[], datetime] = utcnow,
        anchor_every: int = 100,
        read_only: bool = False,
    ) -> None:
        self.engine = engine
        self.actor = actor
        self.clock = clock
        self.anchor_every = anchor_every
        self._events: list[audit.PendingEvent] = []
        self._tx: sa.RootTransaction | None = None
        self.read_only = read_only

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect()
        if not self.read_only:
            self._tx = self.conn.begin()
        elif self.engine.dialect.name == "postgresql":
            self.conn.execution_options(isolation_level="AUTOCOMMIT")  # reset when the connection goes back
        self.tasks = TaskRepo(self.conn)
        self.officers = OfficerRepo(self.conn)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()
        self.conn.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def now(self) -> datetime:
        """The current time by this unit's clock."""
        return self.clock()

    def record(
        self, action: str, entity: str, payload: Any = None, actor: str | None = None, at: datetime | None = None
    ) -> None:
        """Queue an audit event (chained and written at ``commit``, in the same transaction)."""
        ts = (at or self.now()).isoformat(timespec="microseconds")
        self._events.append(audit.PendingEvent(ts, actor or self.actor, action, entity, audit.canonical(payload or {})))

    def commit(self) -> None:
        """Append queued events to the chain and commit; the unit stays usable in a new transaction."""
        self._check_writable()
        assert self._tx is not None, "unit of work not entered"
        audit.append(self.conn, self._events, self.anchor_every)
        self._events = []
        self._tx.commit()
        self._tx = self.conn.begin()

    def rollback(self) -> None:
        """Drop the changes and queued events; start a new transaction."""
        self._check_writable()
        assert self._tx is not None, "unit of work not entered"
        self._events = []
        self._tx.rollback()
        self._tx = self.conn.begin()

    def _check_writable(self) -> None:
        if self.read_only:
            raise RuntimeError("read-only unit of work: nothing to commit or roll back")
