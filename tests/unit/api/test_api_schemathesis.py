"""Property-based run of every API operation from the OpenAPI spec: no input may cause a server error."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from api_helpers import PASSWORD
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from taxloop.api.accounts import accounts_from_officers, add_user
from taxloop.api.app import create_app
from taxloop.config import Settings
from taxloop.workflow.models import Officer
from taxloop.workflow.store import WorkflowStore


def _app(tmp: Path):  # type: ignore[no-untyped-def]
    store = WorkflowStore.open(f"sqlite:///{tmp / 'wf.sqlite'}")
    with store.uow("test") as uow:
        uow.officers.upsert_many(
            [Officer(officer_id="A1", name="甲", unit_code="U1", region_code="R1", role="administrator", level=3)]
        )
        accounts_from_officers(uow.conn, PASSWORD)
        add_user(uow.conn, "audit", PASSWORD, "auditor", "审计员")
        uow.commit()
    return create_app(Settings(warehouse=tmp / "wh", secret_key="schemathesis-secret-0123456789abcdef"), store)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return _app(tmp_path_factory.mktemp("st"))


def test_no_server_error(app) -> None:  # type: ignore[no-untyped-def]
    """Every operation, 25 generated requests each, authenticated as an auditor (widest scope)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    with TestClient(app) as client:
        token = client.post("/api/auth/token", data={"username": "audit", "password": PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        run()
