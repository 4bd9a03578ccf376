"""Engine, migrations and units of work of the workflow store (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from taxloop.workflow.uow import UnitOfWork, utcnow

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL connection pool per process: kept + overflow (the API admits no more requests than this at once)
POOL_SIZE, MAX_OVERFLOW = 8, 8


def make_engine(url: str, schema: str | None = None) -> sa.Engine:
    """An engine for ``url``; on PostgreSQL ``schema`` (if given) becomes the search path."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and "///" in url:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(url, connect_args={"timeout": 30})
    args: dict[str, object] = {}
    if schema:
        args["options"] = f"-csearch_path={schema}"
    return sa.create_engine(url, connect_args=args, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


class WorkflowStore:
    """The workflow database: hands out units of work."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] = utcnow, anchor_every: int = 100) -> None:
        self.engine = engine
        self.clock = clock
        self.anchor_every = anchor_every

    @classmethod
    def open(cls, url: str, schema: str | None = None, upgrade: bool = True, **kwargs: object) -> WorkflowStore:
        """Connect to ``url`` and (by default) migrate to the latest schema."""
        engine = make_engine(url, schema)
        if upgrade:
            migrate(engine)
        return cls(engine, **kwargs)  # type: ignore[arg-type]

    def uow(self, actor: str = "system") -> UnitOfWork:
        """A new unit of work (use as a context manager; call ``commit()``)."""
        return UnitOfWork(self.engine, actor=actor, clock=self.clock, anchor_every=self.anchor_every)

    def reader(self, actor: str = "system") -> UnitOfWork:
        """A read-only unit of work: no transaction (autocommit on PostgreSQL), ``commit`` refused."""
        return UnitOfWork(self.engine, actor=actor, clock=self.clock, anchor_every=self.anchor_every, read_only=True)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
