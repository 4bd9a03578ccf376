"""Doubts travel to tasks and back: cross-check -> verification task -> response -> confirmed per provider."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.hub.crosscheck import doubt_summary, run_crosschecks
from taxloop.hub.doubt_tasks import doubts_back, push_doubts
from taxloop.hub.registry import load_registry
from taxloop.workflow.assign import allocate_tasks
from taxloop.workflow.models import Officer, ResponseInput
from taxloop.workflow.responses import respond
from taxloop.workflow.store import WorkflowStore

NOW = datetime(2026, 1, 10, 10, 0, 0)


def test_doubts_to_tasks_and_back(xc: DuckDBBackend, tmp_path: Path) -> None:
    run_crosschecks(xc, load_registry(), today="2025-12-31")
    store = WorkflowStore.open(f"sqlite:///{tmp_path / 'wf.sqlite'}", clock=lambda: NOW)
    with store.uow("hub") as uow:
        uow.officers.upsert_many(
            [Officer(officer_id="O1", name="甲", unit_code="U1", region_code="R1", role="administrator", level=3)]
        )
        created = push_doubts(uow, xc)
        # BAD has four doubts -> one task; NEWCO is not a registered taxpayer, so it is not pushed.
        assert len(created) == 1
        task = uow.tasks.get(created[0])
        assert task.tins == ["BAD"] and len(task.hit_keys) == 4 and "XC_LAND_USE" in task.indicators
        assert push_doubts(uow, xc) == []  # already carried
        allocate_tasks(uow, seed=1, task_ids=created)
        assert uow.tasks.get(created[0]).assignee_id == "O1"
        respond(
            uow,
            created[0],
            "O1",
            ResponseInput(
                steps=["desk_review", "contact", "conclude"],
                outputs=["response_report"],
                evidence=["deed"],
                record={"doubts_checked": "all", "method": "field check", "conclusion": "deed tax unpaid"},
                finding="adjusted",
                tax_recovered=Decimal("40000"),
            ),
        )
        assert doubts_back(uow, xc) == 4
        uow.commit()
    summary = {r["check_code"]: r for r in doubt_summary(xc).to_pylist()}
    assert summary["XC_DEED_TAX"]["confirmed"] == 1 and summary["XC_DEED_TAX"]["tax_recovered"] == 10000
    assert summary["XC_MARKET_UNREG"]["verified"] == 0
    store.dispose()
