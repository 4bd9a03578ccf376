"""An API over a small SQLite workflow store: officers in two regions, tasks, accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from api_helpers import PASSWORD
from fastapi.testclient import TestClient

from taxloop.api.accounts import accounts_from_officers, add_user
from taxloop.api.app import create_app
from taxloop.config import Settings
from taxloop.workflow.models import Officer, Task
from taxloop.workflow.store import WorkflowStore

NOW = datetime(2026, 11, 23, 9, 0, 0)


def _officer(oid: str, region: str, unit: str, role: str, level: int = 3) -> Officer:
    return Officer(officer_id=oid, name=f"官员{oid}", unit_code=unit, region_code=region, role=role, level=level)


def _task(
    tid: str,
    assignee: str | None,
    region: str,
    kind: str = "risk",
    status: str = "allocated",
    matter: str = "RISK_RESPONSE",
    **kw: object,
) -> Task:
    return Task(
        task_id=tid,
        kind=kind,
        matter_code=matter,
        entity_id=f"E-{tid}",
        tins=[f"T-{tid}"],
        region_code=region,
        status=status,
        assignee_id=assignee,
        created_at=NOW,
        due_at=NOW + timedelta(days=30),
        restricted=(kind == "integrity"),
        **kw,
    )  # type: ignore[arg-type]


@pytest.fixture()
def api(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(warehouse=tmp_path / "wh", secret_key="test-secret-0123456789abcdef0123456789")
    store = WorkflowStore.open(f"sqlite:///{tmp_path / 'wf.sqlite'}", clock=lambda: NOW)
    with store.uow("test") as uow:
        uow.officers.upsert_many(
            [
                _officer("A1", "R1", "U1", "administrator"),
                _officer("A2", "R1", "U2", "administrator"),
                _officer("B1", "R2", "U9", "administrator"),
                _officer("L1", "R1", "U0", "leader", 5),
                _officer("D1", "R1", "UD", "discipline", 4),
                _officer("V1", "R2", "U8", "reviewer", 4),
            ]
        )
        uow.tasks.add_many(
            [
                _task("T1", "A1", "R1"),
                _task("T2", "A2", "R1"),
                _task("T3", "B1", "R2"),
                _task("C1", "D1", "R1", kind="integrity", matter="INTEGRITY_CASE", subject_officer_id="A2"),
            ]
        )
        accounts_from_officers(uow.conn, PASSWORD)
        add_user(uow.conn, "audit", PASSWORD, "auditor", "审计员")
        uow.commit()
    with TestClient(create_app(settings, store)) as client:
        yield client
    store.dispose()
