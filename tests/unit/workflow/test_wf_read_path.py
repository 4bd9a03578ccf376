"""The API's read path on both stores: read-only units of work, the inbox's prepared scope queries, summaries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from taxloop.api.accounts import Principal
from taxloop.api.scope import scope_of, task_filter
from taxloop.api.tasks_view import SUMMARY_FIELDS, inbox, inbox_query, inbox_summaries
from taxloop.workflow.models import Task
from taxloop.workflow.store import WorkflowStore

NOW = datetime(2026, 11, 23, 9, 0, 0)

PRINCIPALS = [
    Principal("a1", "inspector", "甲", officer_id="A1", region_code="R1"),
    Principal("a9", "inspector", "无任务", officer_id="A9", region_code="R1"),
    Principal("l1", "leader", "乙", officer_id="L1", region_code="R1"),
    Principal("l2", "leader", "丙", officer_id="L2", region_code="R2"),
    Principal("an", "analyst", "丁", region_code=None),
    Principal("d1", "discipline", "戊", officer_id="D1", region_code="R1"),
    Principal("au", "auditor", "己", region_code="R1"),
]


def _task(tid: str, assignee: str | None, region: str, due: int | None, **kw: object) -> Task:
    return Task(
        task_id=tid,
        matter_code="RISK_RESPONSE",
        entity_id=f"E-{tid}",
        tins=[f"91{tid}"],
        region_code=region,
        assignee_id=assignee,
        created_at=NOW,
        due_at=None if due is None else NOW + timedelta(days=due),
        indicators=["VAT_001"],
        persons={"legal": ["x"]},
        **kw,
    )  # type: ignore[arg-type]


@pytest.fixture
def filled(store: WorkflowStore) -> WorkflowStore:
    with store.uow("test") as uow:
        uow.tasks.add_many(
            [
                _task("T1", "A1", "R1", 3, kind="risk", status="allocated"),
                _task("T2", "A1", "R1", None, kind="risk", status="finished"),
                _task("T3", "A1", "R1", 1, kind="service", status="allocated"),
                _task("T4", "A2", "R1", 2, kind="risk", status="allocated"),
                _task("T5", "B1", "R2", 0, kind="risk", status="allocated"),
                _task("C1", "D1", "R1", 5, kind="integrity", status="allocated", restricted=True),
                _task("C2", "A1", "R1", 4, kind="risk", status="allocated", restricted=True),
            ]
        )
        uow.commit()
    return store


def test_reader_runs_queries_without_a_transaction_and_refuses_commit(filled: WorkflowStore) -> None:
    with filled.reader("a1") as uow:
        assert uow.tasks.get("T1").assignee_id == "A1"
        if uow.dialect == "postgresql":  # autocommit: nothing left open on the server after a query
            assert uow.conn.connection.driver_connection.info.transaction_status.name == "IDLE"  # type: ignore[union-attr]
        with pytest.raises(RuntimeError, match="read-only"):
            uow.commit()
    with filled.uow("a1") as uow:  # the pooled connection is back to transactions for writers
        uow.tasks.update("T1", 1, note="seen")
        uow.rollback()
        assert uow.tasks.get("T1").note is None


@pytest.mark.parametrize("p", PRINCIPALS, ids=lambda p: p.username)
@pytest.mark.parametrize(("status", "kind"), [(None, None), ("allocated", None), (None, "risk"), ("allocated", "risk")])
def test_prepared_inbox_lists_what_the_scope_rule_allows(
    filled: WorkflowStore, p: Principal, status: str | None, kind: str | None
) -> None:
    where = [task_filter(p)]
    where += [] if status is None else [sa.column("status") == status]
    where += [] if kind is None else [sa.column("kind") == kind]
    with filled.reader(p.username) as uow:
        expected = uow.conn.execute(inbox_query(where, limit=100, offset=0)).scalars().all()
        listed = [t.task_id for t in inbox(uow, p, status, kind, limit=100)]
        summaries = inbox_summaries(uow, p, status, kind, limit=100)
    assert listed == expected
    assert [s.task_id for s in summaries] == expected
    if scope_of(p)[0] == "own":
        assert all(s.assignee_id == p.officer_id for s in summaries)


def test_summaries_page_like_the_inbox_and_carry_the_task_fields(filled: WorkflowStore) -> None:
    auditor = PRINCIPALS[-1]
    with filled.reader("au") as uow:
        full = inbox(uow, auditor, limit=100)
        pages = [inbox_summaries(uow, auditor, limit=3, offset=o) for o in (0, 3, 6)]
    flat = [s for page in pages for s in page]
    assert [s.task_id for s in flat] == [t.task_id for t in full]
    for s, t in zip(flat, full, strict=True):
        assert s.model_dump() == {k: getattr(t, k) for k in SUMMARY_FIELDS}
    assert "persons" not in SUMMARY_FIELDS and "indicators" not in SUMMARY_FIELDS
