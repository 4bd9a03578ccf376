"""Data scope: which tasks and taxpayers a principal may see (pure rules, used by API and web)."""

from __future__ import annotations

from functools import cache
from typing import Any

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


def scope_of(p: Principal) -> tuple[str, str, str]:
    """The principal's listing scope as ``(shape, officer_id, region_code)``; shape is one of ``all``,
    ``discipline``, ``region_all``, ``region``, ``own`` (the values a shape does not use are empty)."""
    officer = p.officer_id or ""
    if p.role == "auditor":
        return "all", "", ""
    if p.role == "discipline":
        return "discipline", officer, ""
    if p.role in REGION_VIEWERS:
        return ("region_all", "", "") if p.sees_all_regions else ("region", "", p.region_code or "")
    return "own", officer, ""


def scope_condition(shape: str, officer: Any, region: Any) -> sa.ColumnElement[bool]:
    """SQL condition of a scope shape; ``officer`` and ``region`` are values or bind parameters."""
    integrity = sa.or_(tasks.c.kind == "integrity", tasks.c.restricted.is_(True))
    if shape == "all":
        return sa.true()
    if shape == "discipline":
        return sa.or_(integrity, tasks.c.assignee_id == officer)
    own_or_region: sa.ColumnElement[bool]
    if shape == "region_all":
        own_or_region = sa.true()
    elif shape == "region":
        own_or_region = tasks.c.region_code == region
    else:
        own_or_region = tasks.c.assignee_id == officer
    return sa.and_(sa.not_(integrity), own_or_region)


def task_filter(p: Principal) -> sa.ColumnElement[bool]:
    """SQL condition equivalent to :func:`can_see_task` for listing."""
    return scope_condition(*scope_of(p))


@cache
def scope_template(shape: str) -> sa.ColumnElement[bool]:
    """:func:`scope_condition` of ``shape`` with bind parameters ``scope_officer`` and ``scope_region`` (built
    once per shape, so a prepared listing query is reused from request to request)."""
    return scope_condition(
        shape, sa.bindparam("scope_officer", type_=sa.String), sa.bindparam("scope_region", type_=sa.String)
    )


def can_see_region(p: Principal, region_code: str | None) -> bool:
    """Whether a taxpayer of ``region_code`` is within the principal's scope."""
    return p.sees_all_regions or region_code == p.region_code
