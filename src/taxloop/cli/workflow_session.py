"""The unit of work a workflow command runs in: settings, the workflow store, the audit record of the command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.cli.common import fail
from taxloop.config import Settings

if TYPE_CHECKING:
    from taxloop.workflow.uow import UnitOfWork

ActorOpt = Annotated[str, typer.Option("--actor", help="Who runs the command (audit trail) / 操作人")]


@dataclass
class Session:
    """What a command works with: settings, the unit of work and (on demand) the analytics backend."""

    settings: Settings
    uow: UnitOfWork
    warehouse: Path | None

    _backend: AnalyticsBackend | None = None

    def backend(self) -> AnalyticsBackend:
        """The configured analytics backend over the warehouse (opened once, closed with the session)."""
        from taxloop import bootstrap

        if self._backend is None:
            self._backend = bootstrap.analytics(self.settings, self.warehouse)
        return self._backend


@contextmanager
def session(warehouse: Path | None, actor: str, command: str, args: dict[str, Any]) -> Iterator[Session]:
    """A unit of work that records the command, commits on success and turns domain errors into clear exits."""
    from taxloop import bootstrap
    from taxloop.workflow.errors import WorkflowError

    settings = bootstrap.load_settings(warehouse=warehouse)
    store = bootstrap.workflow_store(settings)
    ctx: Session | None = None
    try:
        with store.uow(actor=actor) as uow:
            ctx = Session(settings, uow, warehouse)
            try:
                yield ctx
            except (WorkflowError, ValueError, FileNotFoundError) as exc:
                uow.rollback()
                uow.record(f"cli.{command}.refused", command, {**args, "error": str(exc)})
                uow.commit()
                raise fail(str(exc)) from exc
            uow.record(f"cli.{command}", command, args)
            uow.commit()
    finally:
        if ctx is not None and ctx._backend is not None:
            ctx._backend.close()
        store.dispose()
