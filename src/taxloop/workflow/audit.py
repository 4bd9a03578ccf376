"""Tamper-evident audit trail: a hash chain of events with periodic anchors.

Each event carries the hash of the one before it; its own hash covers seq, time, actor, action,
entity, payload and that previous hash. Every ``anchor_every`` events the head hash is copied to
``wf_audit_anchors`` (which can also be exported and kept elsewhere). ``verify`` recomputes the
chain and names the first event that was edited, deleted or moved.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from taxloop.workflow.bulk import bulk_insert
from taxloop.workflow.tables import audit_anchors, audit_events

GENESIS = "0" * 64


def canonical(payload: Any) -> str:
    """Canonical JSON text of a payload (sorted keys, no spaces, str() for unknown types)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(seq: int, ts: str, actor: str, action: str, entity: str, payload: str, prev_hash: str) -> str:
    """SHA-256 of one event's fields and the previous hash."""
    body = json.dumps([seq, ts, actor, action, entity, payload, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PendingEvent:
    """An event waiting to be chained at commit."""

    ts: str
    actor: str
    action: str
    entity: str
    payload: str


def _lock(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7301985)"))


def append(conn: sa.Connection, events: list[PendingEvent], anchor_every: int) -> int:
    """Chain and insert ``events`` in order (holding the chain lock); returns the last seq."""
    if not events:
        return 0
    _lock(conn)
    head = conn.execute(
        sa.select(audit_events.c.seq, audit_events.c.hash).order_by(audit_events.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    rows: list[dict[str, Any]] = []
    anchors: list[dict[str, Any]] = []
    for ev in events:
        seq += 1
        h = event_hash(seq, ev.ts, ev.actor, ev.action, ev.entity, ev.payload, prev)
        rows.append(
            {
                "seq": seq,
                "ts": ev.ts,
                "actor": ev.actor,
                "action": ev.action,
                "entity": ev.entity,
                "payload": ev.payload,
                "prev_hash": prev,
                "hash": h,
            }
        )
        if anchor_every and seq % anchor_every == 0:
            anchors.append({"seq": seq, "hash": h, "ts": ev.ts})
        prev = h
    bulk_insert(conn, audit_events, rows)
    bulk_insert(conn, audit_anchors, anchors)
    return seq


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of ``verify``: ok, events checked, first bad seq and why."""

    ok: bool
    events: int
    anchors: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify(conn: sa.Connection) -> VerifyReport:
    """Recompute the chain; report the first event edited, deleted or reordered, or an anchor mismatch."""
    prev = GENESIS
    expected = 1
    count = 0
    hashes: dict[int, str] = {}
    result = conn.execution_options(stream_results=True).execute(sa.select(audit_events).order_by(audit_events.c.seq))
    bad: tuple[int, str] | None = None
    for row in result:
        count += 1
        if bad is not None:
            continue
        if row.seq != expected:
            bad = (expected, f"event {expected} is missing (next is {row.seq}) / 事件缺失")
        elif row.prev_hash != prev:
            bad = (row.seq, "previous-hash link broken (deleted or reordered) / 链接断裂")
        elif event_hash(row.seq, row.ts, row.actor, row.action, row.entity, row.payload, row.prev_hash) != row.hash:
            bad = (row.seq, "content does not match its hash (edited) / 内容被篡改")
        hashes[row.seq] = row.hash
        prev = row.hash
        expected += 1
    anchors = conn.execute(sa.select(audit_anchors).order_by(audit_anchors.c.seq)).all()
    if bad is None:
        for a in anchors:
            if hashes.get(a.seq) != a.hash:
                why = "missing" if a.seq not in hashes else "differs from"
                bad = (a.seq, f"event {why} its anchor (truncated or rewritten) / 与锚点不符")
                break
    if bad is not None:
        return VerifyReport(False, count, len(anchors), bad[0], bad[1])
    return VerifyReport(True, count, len(anchors))
