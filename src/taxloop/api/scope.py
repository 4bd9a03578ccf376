"""Data scope: which tasks and taxpayers a principal may see (pure rules, used by API and web)."""

from __future__ import annotations

import sqlalchemy as sa

from taxloop.api.accounts import Principal
from taxloop.workflow.models import INTEGRITY_VIEWERS, Task
from taxloop.workflow.tables import tasks

#: Roles that see every task of their region (read-only supervision); others see only their own tasks.
REGION_VIEWERS = frozenset({"leader", "analyst"})


def can_see_task(p: Principal, task: Task) -> bool:
    """Integrity cases: discipline and auditors only. Auditors: all. Leaders/analysts: their region.
    Everyone else: tasks assigned to them (and, for discipline, integrity cases)."""
    if task.kind == "integrity" or task.restricted:
        return p.role in INTEGRITY_VIEWERS
    if p.role == "auditor":
        return True
    if p.role in REGION_VIEWERS:
        return p.sees_all_regions or task.region_code == p.region_code
    return p.officer_id is not None and task.assignee_id == p.officer_id


def task_filter(p: Principal) -> sa.ColumnElement[bool]:
    """SQL condition equivalent to :func:`can_see_task` for listing."""
    integrity = sa.or_(tasks.c.kind == "integrity", tasks.c.restricted.is_(True))
    if p.role == "auditor":
        return sa.true()
    if p.role == "discipline":
        return sa.or_(integrity, tasks.c.assignee_id == (p.officer_id or ""))
    own_or_region: sa.ColumnElement[bool]
    if p.role in REGION_VIEWERS:
        own_or_region = sa.true() if p.sees_all_regions else tasks.c.region_code == p.region_code
    else:
        own_or_region = tasks.c.assignee_id == (p.officer_id or "")
    return sa.and_(sa.not_(integrity), own_or_region)


def can_see_region(p: Principal, region_code: str | None) -> bool:
    """Whether a taxpayer of ``region_code`` is within the principal's scope."""
    return p.sees_all_regions or region_code == p.region_code
