"""The inbox query (deadline order, no deadline last, index-friendly) and the per-process backend cache."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.api.backend_cache import BackendCache, warehouse_signature
from taxloop.api.tasks_view import inbox_query
from taxloop.workflow.models import Task
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import tasks

NOW = datetime(2026, 11, 23, 9, 0, 0)


def _task(tid: str, assignee: str, due_days: int | None) -> Task:
    due = None if due_days is None else NOW + timedelta(days=due_days)
    return Task(
        task_id=tid,
        kind="risk",
        matter_code="RISK_RESPONSE",
        region_code="R1",
        status="allocated",
        assignee_id=assignee,
        created_at=NOW,
        due_at=due,
        difficulty=3,
    )


def test_inbox_query_orders_by_deadline_with_undated_last_and_pages(tmp_path: Path) -> None:
    store = WorkflowStore.open(f"sqlite:///{tmp_path / 'wf.sqlite'}")
    with store.uow() as uow:
        uow.tasks.add_many(
            [
                _task("t4", "O1", None),
                _task("t2", "O1", 5),
                _task("t1", "O1", 5),
                _task("t3", "O1", 1),
                _task("t0", "O1", None),
                _task("x1", "O2", 0),
            ]
        )
        uow.commit()
        where = [tasks.c.assignee_id == "O1"]
        first = uow.conn.execute(inbox_query(where, limit=10, offset=0)).scalars().all()
        page = uow.conn.execute(inbox_query(where, limit=2, offset=2)).scalars().all()
    assert first == ["t3", "t1", "t2", "t0", "t4"]
    assert page == ["t2", "t0"]


def test_migration_creates_the_inbox_indexes(tmp_path: Path) -> None:
    store = WorkflowStore.open(f"sqlite:///{tmp_path / 'wf.sqlite'}")
    indexes = {ix["name"]: ix["column_names"] for ix in sa.inspect(store.engine).get_indexes("wf_tasks")}
    assert indexes["ix_wf_tasks_assignee_due"] == ["assignee_id", "due_at", "task_id"]
    assert indexes["ix_wf_tasks_region_due"] == ["region_code", "due_at", "task_id"]


@pytest.fixture()
def cache(tmp_path: Path) -> tuple[BackendCache, Warehouse]:
    wh = Warehouse(tmp_path / "wh").ensure()
    return BackendCache(lambda: DuckDBBackend(wh), lambda: wh), wh


def test_cache_builds_once_and_hands_out_cursors_that_see_the_tables(cache: tuple[BackendCache, Warehouse]) -> None:
    c, wh = cache
    first = c.get()
    first.write_arrow("indicator_hits", pa.table({"subject_id": ["E1", "E2"], "code": ["A", "B"]}))
    assert first.has_table("indicator_hits")  # the cursor that wrote it knows at once
    second, third = c.get(), c.get()  # the new derived folder changes the signature: one rebuild
    assert c.builds == 2
    assert second is not third and second.has_table("indicator_hits") and not second.has_table("nope")
    assert second.query("SELECT count(*) AS n FROM indicator_hits").to_pylist() == [{"n": 2}]
    assert warehouse_signature(wh)[1] == ("indicator_hits",)


def test_cursors_are_usable_from_many_threads(cache: tuple[BackendCache, Warehouse]) -> None:
    c, _ = cache
    c.get().write_arrow("t", pa.table({"x": list(range(100))}))
    results: list[int] = []

    def work() -> None:
        for _ in range(5):
            results.append(int(c.get().query("SELECT sum(x) AS s FROM t").to_pylist()[0]["s"]))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [4950] * 20
    assert c.builds == 2


def test_admission_limit_caps_requests_in_flight() -> None:
    from starlette.types import Receive, Scope, Send

    from taxloop.api.admission import AdmissionLimit

    state = {"now": 0, "peak": 0}

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.01)
        state["now"] -= 1

    async def noop() -> dict[str, object]:
        return {}

    async def sink(message: object) -> None:
        return None

    async def run() -> None:
        app = AdmissionLimit(inner, limit=3)
        await asyncio.gather(*(app({"type": "http"}, noop, sink) for _ in range(20)))

    asyncio.run(run())
    assert state["peak"] == 3
    with pytest.raises(ValueError, match="at least 1"):
        AdmissionLimit(inner, limit=0)
