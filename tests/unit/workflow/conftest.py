"""Workflow fixtures: the same store on SQLite and (marked ``postgres``) on a fresh PostgreSQL schema."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from wf_helpers import FakeClock

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import metadata


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per run (copied for each test)."""
    path = tmp_path_factory.mktemp("wf") / "template.sqlite"
    WorkflowStore.open(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for this test run, migrated once and dropped afterwards."""
    schema = f"wf_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as con:
        con.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    WorkflowStore.open(pg_url, schema=schema).dispose()
    try:
        yield schema
    finally:
        with admin.begin() as con:
            con.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[WorkflowStore]:
    """An empty migrated store: a copy of the SQLite template, or the run's PostgreSQL schema emptied."""
    if request.param == "sqlite":
        path = tmp_path / "wf.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        s = WorkflowStore.open(f"sqlite:///{path}", upgrade=False, clock=clock, anchor_every=5)
    else:
        schema = request.getfixturevalue("pg_schema")
        s = WorkflowStore.open(
            request.getfixturevalue("pg_url"), schema=schema, upgrade=False, clock=clock, anchor_every=5
        )
        with s.engine.begin() as con:
            for table in reversed(metadata.sorted_tables):
                con.execute(table.delete())
    yield s
    s.dispose()


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[DuckDBBackend]:
    """A DuckDB backend over an empty warehouse."""
    b = DuckDBBackend(Warehouse(tmp_path / "wh").ensure())
    yield b
    b.close()
