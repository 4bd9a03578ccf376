"""The audit trail detects edited, deleted and reordered events and truncation past an anchor."""

from __future__ import annotations

import sqlalchemy as sa

from taxloop.workflow import audit
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import audit_anchors, audit_events


def _fill(store: WorkflowStore, n: int = 12) -> None:
    with store.uow(actor="tester") as uow:
        for i in range(n):
            uow.record("test.event", f"E{i}", {"i": i, "名称": "测试"})
        uow.commit()


def _verify(store: WorkflowStore) -> audit.VerifyReport:
    with store.uow() as uow:
        return audit.verify(uow.conn)


def test_chain_verifies_and_anchors(store: WorkflowStore) -> None:
    _fill(store)
    rep = _verify(store)
    assert rep.ok and rep.events == 12 and rep.anchors == 2  # anchor_every=5 -> seq 5, 10


def test_events_of_separate_commits_chain(store: WorkflowStore) -> None:
    _fill(store, 3)
    _fill(store, 3)
    with store.engine.connect() as con:
        rows = con.execute(sa.select(audit_events).order_by(audit_events.c.seq)).all()
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[3].prev_hash == rows[2].hash
    assert _verify(store).ok


def test_edit_detected(store: WorkflowStore) -> None:
    _fill(store)
    with store.engine.begin() as con:
        con.execute(audit_events.update().where(audit_events.c.seq == 7).values(payload='{"i":70}'))
    rep = _verify(store)
    assert not rep.ok and rep.first_bad_seq == 7 and "edited" in rep.reason


def test_delete_detected(store: WorkflowStore) -> None:
    _fill(store)
    with store.engine.begin() as con:
        con.execute(audit_events.delete().where(audit_events.c.seq == 4))
    rep = _verify(store)
    assert not rep.ok and rep.first_bad_seq == 4


def test_reorder_detected(store: WorkflowStore) -> None:
    _fill(store)
    with store.engine.begin() as con:
        a, b = (con.execute(sa.select(audit_events).where(audit_events.c.seq == s)).mappings().one() for s in (8, 9))
        for src, dst in ((a, 9), (b, 8)):
            con.execute(
                audit_events.update()
                .where(audit_events.c.seq == dst)
                .values(**{k: v for k, v in src.items() if k != "seq"})
            )
    rep = _verify(store)
    assert not rep.ok and rep.first_bad_seq == 8


def test_rehashed_rewrite_caught_by_anchor(store: WorkflowStore) -> None:
    """Someone who edits an event AND recomputes every later hash is still caught by the anchors."""
    _fill(store)
    with store.engine.begin() as con:
        rows = [dict(r) for r in con.execute(sa.select(audit_events).order_by(audit_events.c.seq)).mappings()]
        rows[2]["payload"] = '{"i":999}'
        prev = rows[1]["hash"]
        for r in rows[2:]:
            r["prev_hash"] = prev
            r["hash"] = audit.event_hash(r["seq"], r["ts"], r["actor"], r["action"], r["entity"], r["payload"], prev)
            prev = r["hash"]
            con.execute(
                audit_events.update()
                .where(audit_events.c.seq == r["seq"])
                .values(prev_hash=r["prev_hash"], hash=r["hash"], payload=r["payload"])
            )
    rep = _verify(store)
    assert not rep.ok and rep.first_bad_seq == 5 and "anchor" in rep.reason


def test_tail_truncation_caught_by_anchor(store: WorkflowStore) -> None:
    _fill(store)
    with store.engine.begin() as con:
        con.execute(audit_events.delete().where(audit_events.c.seq >= 10))
    rep = _verify(store)
    assert not rep.ok and rep.first_bad_seq == 10
    with store.engine.connect() as con:
        assert con.execute(sa.select(sa.func.count()).select_from(audit_anchors)).scalar_one() == 2


def test_rollback_drops_events(store: WorkflowStore) -> None:
    with store.uow() as uow:
        uow.record("x", "y", {})
        uow.rollback()
        uow.commit()
    assert _verify(store).events == 0
