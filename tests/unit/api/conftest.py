"""An API over a small SQLite workflow store: officers in two regions, tasks, accounts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import PASSWORD
from fastapi.testclient import TestClient

from taxloop.api.accounts import accounts_from_officers, add_user
from taxloop.api.app import create_app
from taxloop.config import Settings
from taxloop.workflow.store import WorkflowStore
from web_world import NOW
from web_world import _officer as officer
from web_world import _task as task


@pytest.fixture()
def api(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(warehouse=tmp_path / "wh", secret_key="test-secret-0123456789abcdef0123456789")
    store = WorkflowStore.open(f"sqlite:///{tmp_path / 'wf.sqlite'}", clock=lambda: NOW)
    with store.uow("test") as uow:
        uow.officers.upsert_many(
            [
                officer("A1", "R1", "U1", "administrator"),
                officer("A2", "R1", "U2", "administrator"),
                officer("B1", "R2", "U9", "administrator"),
                officer("L1", "R1", "U0", "leader", 5),
                officer("D1", "R1", "UD", "discipline", 4),
                officer("V1", "R2", "U8", "reviewer", 4),
            ]
        )
        uow.tasks.add_many(
            [
                task("T1", "A1", "R1"),
                task("T2", "A2", "R1"),
                task("T3", "B1", "R2"),
                task("C1", "D1", "R1", kind="integrity", matter="INTEGRITY_CASE", subject_officer_id="A2"),
            ]
        )
        accounts_from_officers(uow.conn, PASSWORD)
        add_user(uow.conn, "audit", PASSWORD, "auditor", "审计员")
        uow.commit()
    with TestClient(create_app(settings, store)) as client:
        yield client
    store.dispose()
