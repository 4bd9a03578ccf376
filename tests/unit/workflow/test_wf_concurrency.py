"""Parallel writers on PostgreSQL: one wins per version, the others get StaleVersion; the audit chain stays whole."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from wf_helpers import FakeClock

from taxloop.workflow import audit
from taxloop.workflow.errors import StaleVersion
from taxloop.workflow.models import Task
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import metadata

pytestmark = pytest.mark.postgres
WRITERS = 8


@pytest.fixture
def pg_store(pg_url: str, pg_schema: str) -> Iterator[WorkflowStore]:
    s = WorkflowStore.open(pg_url, schema=pg_schema, upgrade=False)
    with s.engine.begin() as con:
        for table in reversed(metadata.sorted_tables):
            con.execute(table.delete())
    yield s
    s.dispose()


def _tasks(n: int) -> list[Task]:
    return [
        Task(task_id=f"T{i}", kind="risk", matter_code="RISK_RESPONSE", region_code="R1", created_at=FakeClock().now)
        for i in range(n)
    ]


def _parallel(fn: Callable[[int], str]) -> list[str]:
    barrier = threading.Barrier(WRITERS)
    out: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        res = fn(i)
        with lock:
            out.append(res)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_parallel_updates_of_one_task_one_wins(pg_store: WorkflowStore) -> None:
    with pg_store.uow() as uow:
        uow.tasks.add_many(_tasks(1))
        uow.commit()
    start = threading.Barrier(WRITERS)

    def write(i: int) -> str:
        with pg_store.uow(actor=f"W{i}") as uow:
            seen = uow.tasks.get("T0").version
            start.wait()  # every writer has read the same version before anyone writes
            try:
                uow.tasks.update("T0", seen, note=f"writer {i}")
                uow.record("task.note", "T0", {"writer": i})
                uow.commit()
                return "ok"
            except StaleVersion:
                return "stale"

    results = _parallel(write)
    assert sorted(results) == ["ok"] + ["stale"] * (WRITERS - 1)
    with pg_store.uow() as uow:
        assert uow.tasks.get("T0").version == 2
        rep = audit.verify(uow.conn)
    assert rep.ok and rep.events == 1


def test_parallel_writers_keep_the_chain_whole(pg_store: WorkflowStore) -> None:
    with pg_store.uow() as uow:
        uow.tasks.add_many(_tasks(WRITERS))
        uow.commit()

    def write(i: int) -> str:
        with pg_store.uow(actor=f"W{i}") as uow:
            for k in range(5):
                t = uow.tasks.get(f"T{i}")
                uow.tasks.update(t.task_id, t.version, note=f"step {k}")
                uow.record("task.note", t.task_id, {"k": k})
                uow.commit()
        return "ok"

    assert _parallel(write) == ["ok"] * WRITERS
    with pg_store.uow() as uow:
        rep = audit.verify(uow.conn)
    assert rep.ok and rep.events == WRITERS * 5
