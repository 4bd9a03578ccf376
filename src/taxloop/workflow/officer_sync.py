"""Officers: synced from the contract ``officers`` table into the workflow store; task listing by role."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.workflow.models import INTEGRITY_VIEWERS, Officer, Task
from taxloop.workflow.tables import tasks
from taxloop.workflow.textnorm import as_list
from taxloop.workflow.uow import UnitOfWork


def officer_from_row(row: dict[str, Any], capacity: int, today: date) -> Officer:
    """One contract ``officers`` row as an ``Officer`` (inactive once ``active_to`` has passed)."""
    active_to = row.get("active_to")
    if isinstance(active_to, str) and active_to:
        active_to = date.fromisoformat(active_to[:10])
    return Officer(
        officer_id=str(row["officer_id"]),
        name=str(row["name"]),
        id_number=row.get("id_number"),
        address=row.get("address"),
        phone=row.get("phone"),
        unit_code=str(row["unit_code"]),
        region_code=str(row["region_code"]),
        grid_code=row.get("grid_code"),
        role=str(row["role"]),
        level=int(row["level"]),
        skills=as_list(row.get("skills")),
        capacity=int(row.get("capacity") or capacity),
        active=not (isinstance(active_to, date) and active_to < today),
    )


def sync_officers(uow: UnitOfWork, backend: AnalyticsBackend, capacity: int = 200) -> int:
    """Copy the warehouse's ``officers`` table into the store (replace by id); returns how many."""
    if not backend.has_table("officers"):
        raise ValueError("the warehouse has no officers table: load it first (taxloop load) / 缺少人员表")
    today = uow.now().date()
    items = [officer_from_row(r, capacity, today) for r in backend.query("SELECT * FROM officers").to_pylist()]
    n = uow.officers.upsert_many(items)
    uow.record("officers.sync", "officers", {"count": n, "capacity": capacity})
    return n


def list_tasks(
    uow: UnitOfWork,
    viewer_role: str,
    status: str | None = None,
    kind: str | None = None,
    assignee_id: str | None = None,
    limit: int = 100,
) -> list[Task]:
    """Tasks the viewer may see: integrity cases only for discipline and auditors."""
    where: list[sa.ColumnElement[bool]] = []
    if viewer_role not in INTEGRITY_VIEWERS:
        where.append(tasks.c.restricted.is_(False))
    if status:
        where.append(tasks.c.status == status)
    if kind:
        where.append(tasks.c.kind == kind)
    if assignee_id:
        where.append(tasks.c.assignee_id == assignee_id)
    return uow.tasks.find(*where, limit=limit)
