"""Tasks: the inbox, a task's detail, responding."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from taxloop.api.deps import AppSettings, Backend, CurrentUser, Uow
from taxloop.api.tasks_view import TaskDetail, inbox, task_detail
from taxloop.bootstrap import step_guard
from taxloop.workflow.errors import ResponseRefused, StepBlocked
from taxloop.workflow.models import ResponseInput, Task
from taxloop.workflow.responses import respond

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


class RespondBody(ResponseInput):
    """A response plus the task version it was written against (optimistic concurrency)."""

    version: int | None = None
    override_by: str | None = None


@router.get("", response_model=list[Task])
def list_tasks(
    uow: Uow,
    principal: CurrentUser,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[Task]:
    """My inbox: tasks in my scope, soonest deadline first / 我的待办."""
    return inbox(uow, principal, status_, kind, limit, offset)


@router.get("/{task_id}", response_model=TaskDetail)
def get_task(task_id: str, uow: Uow, principal: CurrentUser, backend: Backend) -> TaskDetail:
    """A task with the matter's standard, hits with evidence, explanation and response / 任务详情."""
    return task_detail(uow, principal, task_id, backend)


class Responded(BaseModel):
    """Result of a response."""

    task: Task


@router.post("/{task_id}/respond", response_model=Responded)
def respond_task(
    task_id: str, body: RespondBody, uow: Uow, principal: CurrentUser, backend: Backend, settings: AppSettings
) -> Responded:
    """Submit a response against the matter's standard; refused (422) with what is missing / 提交应对结果."""
    if principal.officer_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only officers respond to tasks / 仅税务人员可应对")
    answer = ResponseInput(**body.model_dump(exclude={"version", "override_by"}))
    try:
        guard = step_guard(settings, backend)
        task = respond(
            uow, task_id, principal.officer_id, answer, version=body.version, override_by=body.override_by, guard=guard
        )
    except (ResponseRefused, StepBlocked):
        uow.commit()  # nothing changed but the trail of the refusal or block, which must be kept
        raise
    uow.commit()
    return Responded(task=task)
