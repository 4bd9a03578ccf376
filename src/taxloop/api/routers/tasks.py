"""Tasks: the inbox, a task's detail, responding."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel

from taxloop.api.deps import AppSettings, Backend, BackendFactory, CurrentUser, Store, Uow, Username, reading
from taxloop.api.tasks_view import SUMMARY_LIST, TaskDetail, TaskSummary, inbox_summaries, task_detail
from taxloop.bootstrap import step_guard
from taxloop.workflow.errors import ResponseRefused, StepBlocked
from taxloop.workflow.models import ResponseInput, Task
from taxloop.workflow.responses import respond

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


class RespondBody(ResponseInput):
    """A response plus the task version it was written against (optimistic concurrency)."""

    version: int | None = None
    override_by: str | None = None


def _json(body: bytes) -> Response:
    # the endpoints below write their JSON with pydantic directly: FastAPI would validate the result against the
    # response model again (in one more thread-pool hop) before writing the same bytes
    return Response(body, media_type="application/json")


@router.get("", response_model=list[TaskSummary])
def list_tasks(
    store: Store,
    username: Username,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """My inbox: tasks in my scope, soonest deadline first (summaries; the full task is its detail) / 我的待办."""
    with reading(store, username) as (uow, principal):
        items = inbox_summaries(uow, principal, status_, kind, limit, offset)
    return _json(SUMMARY_LIST.dump_json(items))


@router.get("/{task_id}", response_model=TaskDetail)
def get_task(task_id: str, store: Store, username: Username, backend: BackendFactory) -> Response:
    """A task with the matter's standard, hits with evidence, explanation and response / 任务详情."""
    with reading(store, username) as (uow, principal):
        detail = task_detail(uow, principal, task_id, backend())
    return _json(detail.model_dump_json().encode())


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
