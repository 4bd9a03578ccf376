"""Workflow fixtures: the same store on SQLite and (marked ``postgres``) on a fresh PostgreSQL schema."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.workflow.models import Officer
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import metadata


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


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
        s = WorkflowStore.open(request.getfixturevalue("pg_url"), schema=schema, upgrade=False, clock=clock,
                               anchor_every=5)
        with s.engine.begin() as con:
            for table in reversed(metadata.sorted_tables):
                con.execute(table.delete())
    yield s
    s.dispose()


def officer(oid: str, region: str = "R1", unit: str = "U1", role: str = "inspector", level: int = 3,
            **kw: object) -> Officer:
    """A test officer."""
    return Officer(officer_id=oid, name=f"官员{oid}", unit_code=unit, region_code=region, role=role, level=level,
                   **kw)  # type: ignore[arg-type]


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[DuckDBBackend]:
    """A DuckDB backend over an empty warehouse."""
    b = DuckDBBackend(Warehouse(tmp_path / "wh").ensure())
    yield b
    b.close()


def write_scan(backend: DuckDBBackend, scan_id: str, entities: list[dict[str, object]],
               hits: list[dict[str, object]]) -> None:
    """Write small ``risk_scores`` and ``indicator_hits`` tables."""
    scores = [{"scan_id": scan_id, "rank": i + 1, "entity_id": e["entity_id"], "tins": e.get("tins", [e["entity_id"]]),
               "score": e.get("score", 50.0), "expert_score": 0.0, "model_score": None, "level": e.get("level", "high"),
               "indicators": e.get("indicators", []), "selection": e.get("selection", "indicator"),
               "region_code": e.get("region_code", "R1"), "industry_code": "C3911"} for i, e in enumerate(entities)]
    schema = pa.schema([("scan_id", pa.string()), ("rank", pa.int64()), ("entity_id", pa.string()),
                        ("tins", pa.list_(pa.string())), ("score", pa.float64()), ("expert_score", pa.float64()),
                        ("model_score", pa.float64()), ("level", pa.string()), ("indicators", pa.list_(pa.string())),
                        ("selection", pa.string()), ("region_code", pa.string()), ("industry_code", pa.string())])
    backend.write_arrow("risk_scores", pa.Table.from_pylist(scores, schema=schema))
    hit_rows = [{"scan_id": scan_id, "code": h["code"], "subject_id": h["entity_id"], "tin": h.get("tin", h["entity_id"]),
                 "period": h.get("period", "2026-01"), "value": 1.0, "threshold": 0.5, "evidence": "x", "weight": 1.0,
                 "severity": "high", "category": h.get("category", "vat")} for h in hits]
    hit_schema = pa.schema([("scan_id", pa.string()), ("code", pa.string()), ("subject_id", pa.string()),
                            ("tin", pa.string()), ("period", pa.string()), ("value", pa.float64()),
                            ("threshold", pa.float64()), ("evidence", pa.string()), ("weight", pa.float64()),
                            ("severity", pa.string()), ("category", pa.string())])
    backend.write_arrow("indicator_hits", pa.Table.from_pylist(hit_rows, schema=hit_schema))
