"""Doubts travel to the bureau as verification tasks and their results travel back to the hub.

Each taxpayer's open doubts become one ``RISK_RESPONSE`` task (selection ``indicator``, the cross-check codes as its
indicators, the doubt ids as its hit keys) in the region that manages the taxpayer; a doubt already carried by a task
is not pushed again. When those tasks are answered, a finding of ``adjusted`` or ``fraud`` confirms the doubts and
``no_issue`` refutes them; the results are recorded with ``record_verifications`` (the provider ledger's confirmation
counts come from there).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import sqlalchemy as sa

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.hub.crosscheck import record_verifications
from taxloop.workflow.models import Task
from taxloop.workflow.tables import tasks
from taxloop.workflow.uow import UnitOfWork

MATTER = "RISK_RESPONSE"


def _carried(uow: UnitOfWork) -> set[str]:
    rows = uow.conn.execute(sa.select(tasks.c.hit_keys).where(tasks.c.batch_id.like("DOUBTS-%"))).scalars()
    return {k for keys in rows for k in (keys or [])}


def push_doubts(uow: UnitOfWork, backend: AnalyticsBackend) -> list[str]:
    """One verification task per taxpayer with doubts not yet carried by a task; returns the new task ids."""
    if not backend.has_table("hub_doubts"):
        return []
    carried = _carried(uow)
    regions = {}
    if backend.has_table("taxpayers"):
        regions = {
            str(r["tin"]): str(r["region_code"])
            for r in backend.query(
                "SELECT tin, min(region_code) AS region_code FROM taxpayers GROUP BY tin"
            ).to_pylist()
        }
    entity = {}
    if backend.has_table("entity_map"):
        entity = {
            str(r["tin"]): str(r["entity_id"])
            for r in backend.query("SELECT tin, min(entity_id) AS entity_id FROM entity_map GROUP BY tin").to_pylist()
        }
    by_tin: dict[str, list[dict[str, object]]] = defaultdict(list)
    for d in backend.query("SELECT doubt_id, check_code, tin FROM hub_doubts ORDER BY tin, doubt_id").to_pylist():
        if d["doubt_id"] not in carried and str(d["tin"]) in regions:
            by_tin[str(d["tin"])].append(d)
    now = uow.now()
    batch = f"DOUBTS-{now:%Y%m%d%H%M%S}"
    new = []
    for tin, doubts in sorted(by_tin.items()):
        keys = sorted(str(d["doubt_id"]) for d in doubts)
        task_id = "H" + hashlib.sha1("|".join(keys).encode()).hexdigest()[:12]
        new.append(
            Task(
                task_id=task_id,
                kind="risk",
                matter_code=MATTER,
                batch_id=batch,
                entity_id=entity.get(tin, tin),
                tins=[tin],
                region_code=regions[tin],
                difficulty=2,
                selection="indicator",
                level="medium",
                indicators=sorted({str(d["check_code"]) for d in doubts}),
                hit_keys=keys,
                status="pushed",
                created_at=now,
                pushed_at=now,
                note="cross-check doubts pushed by the data-sharing hub / 共享平台推送疑点",
            )
        )
    if new:
        uow.tasks.add_many(new)
        uow.record("hub.push_doubts", batch, {"tasks": len(new), "doubts": sum(len(t.hit_keys) for t in new)})
    return [t.task_id for t in new]


def doubts_back(uow: UnitOfWork, backend: AnalyticsBackend) -> int:
    """Record the verification result of every doubt whose task is finished; returns doubts recorded."""
    rows = uow.conn.execute(
        sa.select(tasks.c.hit_keys, tasks.c.finding, tasks.c.tax_recovered, tasks.c.task_id).where(
            tasks.c.batch_id.like("DOUBTS-%"), tasks.c.status.in_(["finished", "closed"])
        )
    ).all()
    results = []
    for keys, finding, recovered, task_id in rows:
        share = float(recovered or 0) / max(len(keys or []), 1)
        for key in keys or []:
            results.append(
                {
                    "doubt_id": key,
                    "confirmed": finding in ("adjusted", "fraud"),
                    "tax_recovered": share,
                    "note": f"task {task_id}: {finding}",
                }
            )
    if not results:
        return 0
    record_verifications(backend, results)
    uow.record("hub.doubts_back", "hub_verifications", {"doubts": len(results)})
    return len(results)
