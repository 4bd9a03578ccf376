"""Task views shared by the API and the web pages: the inbox and a task with everything an officer needs."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field, TypeAdapter

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.api.accounts import Principal
from taxloop.api.scope import can_see_task, scope_of, scope_template
from taxloop.sqltext import lit
from taxloop.workflow.errors import NotFound
from taxloop.workflow.matters import Matter, default_catalogue
from taxloop.workflow.models import Task
from taxloop.workflow.responses import response_of
from taxloop.workflow.tables import tasks
from taxloop.workflow.uow import UnitOfWork


class Hit(BaseModel):
    """One indicator hit with its evidence."""

    code: str
    tin: str | None = None
    period: str | None = None
    value: float | None = None
    threshold: float | None = None
    evidence: str | None = None


class TaskSummary(BaseModel):
    """A task as the inbox lists it: what an officer needs to pick it (the full task is in the detail)."""

    task_id: str
    kind: str
    matter_code: str
    entity_id: str | None = None
    tins: list[str] = Field(default_factory=list)
    region_code: str
    selection: str = "indicator"
    score: float | None = None
    level: str | None = None
    difficulty: int = 3
    status: str
    assignee_id: str | None = None
    created_at: datetime
    allocated_at: datetime | None = None
    due_at: datetime | None = None
    finished_at: datetime | None = None
    finding: str | None = None
    overdue: bool | None = None
    version: int = 1


#: Columns of the inbox projection (no heavy JSON columns: indicators, hit keys, skills, persons)
SUMMARY_FIELDS = tuple(TaskSummary.model_fields)
#: Validates a page of inbox rows in one call and writes it as JSON bytes (pydantic's Rust core)
SUMMARY_LIST = TypeAdapter(list[TaskSummary])


class TaskDetail(BaseModel):
    """A task, its matter's standard, its hits, the model's explanation and the last response."""

    task: Task
    matter: Matter
    hits: list[Hit]
    explanation: list[dict[str, Any]]
    response: dict[str, Any] | None


def inbox(
    uow: UnitOfWork, p: Principal, status: str | None = None, kind: str | None = None, limit: int = 50, offset: int = 0
) -> list[Task]:
    """Tasks the principal may see, soonest deadline first."""
    query, params = _inbox_call(p, status, kind, limit, offset, summary=False)
    return [Task.model_validate(dict(r)) for r in uow.conn.execute(query, params).mappings()]


def inbox_summaries(
    uow: UnitOfWork, p: Principal, status: str | None = None, kind: str | None = None, limit: int = 50, offset: int = 0
) -> list[TaskSummary]:
    """The inbox as summaries (same tasks and order as :func:`inbox`), reading only the summary's columns."""
    query, params = _inbox_call(p, status, kind, limit, offset, summary=True)
    rows = uow.conn.execute(query, params)
    return SUMMARY_LIST.validate_python([dict(zip(SUMMARY_FIELDS, row, strict=True)) for row in rows])


def _inbox_call(
    p: Principal, status: str | None, kind: str | None, limit: int, offset: int, summary: bool
) -> tuple[sa.Select[Any], dict[str, Any]]:
    shape, officer, region = scope_of(p)
    params: dict[str, Any] = {"scope_officer": officer, "scope_region": region, "limit": limit, "offset": offset}
    if status:
        params["status"] = status
    if kind:
        params["kind"] = kind
    return _inbox_template(shape, bool(status), bool(kind), summary), params


@cache
def _inbox_template(shape: str, by_status: bool, by_kind: bool, summary: bool) -> sa.Select[Any]:
    """The inbox query of one scope shape and filter combination, with bind parameters (built once)."""
    where = [scope_template(shape)]
    if by_status:
        where.append(tasks.c.status == sa.bindparam("status", type_=sa.String))
    if by_kind:
        where.append(tasks.c.kind == sa.bindparam("kind", type_=sa.String))
    columns = [tasks.c[name] for name in SUMMARY_FIELDS] if summary else None
    limit, offset = sa.bindparam("limit", type_=sa.Integer), sa.bindparam("offset", type_=sa.Integer)
    return inbox_query(where, limit, offset, columns)


def inbox_query(
    where: list[sa.ColumnElement[bool]],
    limit: int | sa.BindParameter[int],
    offset: int | sa.BindParameter[int],
    columns: list[sa.Column[Any]] | None = None,
) -> sa.Select[Any]:
    """The inbox page: soonest deadline first, tasks without one last, then by id.

    Written as ``due_at NULLS LAST, task_id`` so PostgreSQL reads the page from the ``(assignee_id, due_at,
    task_id)`` index (migration 0003) instead of sorting all of an officer's tasks.
    """
    order = (tasks.c.due_at.asc().nulls_last(), tasks.c.task_id)
    query = sa.select(*columns) if columns else sa.select(tasks)
    return query.where(*where).order_by(*order).limit(limit).offset(offset)


def hits_for(backend: AnalyticsBackend | None, task: Task) -> list[Hit]:
    """The scan's hits for the task's taxpayer (empty when the warehouse has no hits)."""
    if backend is None or not task.entity_id or not backend.has_table("indicator_hits"):
        return []
    where = f"subject_id = {lit(task.entity_id)}"
    if task.scan_id:
        where += f" AND scan_id = {lit(task.scan_id)}"
    rows = backend.query(
        f"SELECT code, tin, period, value, threshold, evidence FROM indicator_hits WHERE {where} ORDER BY code, period"
    ).to_pylist()
    text = ("tin", "period")
    return [Hit.model_validate({k: (str(v) if k in text and v is not None else v) for k, v in r.items()}) for r in rows]


def explanation_for(backend: AnalyticsBackend | None, task: Task) -> list[dict[str, Any]]:
    """The model's top contributions in words (zh/en) when a model scored this taxpayer."""
    if backend is None or not task.entity_id or not backend.has_table("model_explanations"):
        return []
    rows: list[dict[str, Any]] = backend.query(
        f"SELECT * FROM model_explanations WHERE entity_id = {lit(task.entity_id)} ORDER BY rank LIMIT 5"
    ).to_pylist()
    return rows


def task_detail(uow: UnitOfWork, p: Principal, task_id: str, backend: AnalyticsBackend | None) -> TaskDetail:
    """Everything about one task; NotFound also when it is outside the principal's scope (no existence leak)."""
    task = uow.tasks.get(task_id)
    if not can_see_task(p, task):
        raise NotFound(f"task {task_id} not found / 任务不存在")
    return TaskDetail(
        task=task,
        matter=default_catalogue().get(task.matter_code),
        hits=hits_for(backend, task),
        explanation=explanation_for(backend, task),
        response=response_of(uow, task_id),
    )
