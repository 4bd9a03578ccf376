"""Officer pages: the inbox, a task with the taxpayer's 360° profile, hits, explanation and the response form."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from taxloop.api.accounts import Principal
from taxloop.api.tasks_view import TaskDetail, inbox_summaries, task_detail
from taxloop.bootstrap import step_guard
from taxloop.profile.service import TaxpayerProfile, build_profile
from taxloop.web.common import PageUser, render
from taxloop.web.inspector import case_operations, timeline_chart
from taxloop.workflow.errors import NotAllowed, NotFound, ResponseRefused, StepBlocked
from taxloop.workflow.models import ResponseInput, ReviewInput
from taxloop.workflow.responses import respond
from taxloop.workflow.review import submit_review

router = APIRouter(include_in_schema=False)


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, user: PageUser) -> HTMLResponse:
    """My open tasks, soonest deadline first."""
    with request.app.state.store.reader(user.username) as uow:
        items = inbox_summaries(uow, user, status="allocated", limit=200)
        done = inbox_summaries(uow, user, status="finished", limit=50)
    return render(request, "inbox.html", user, items=items, done=done)


def _profile(request: Request, detail: TaskDetail) -> TaxpayerProfile | None:
    if detail.task.kind != "risk" or not detail.task.entity_id:
        return None
    backend = request.app.state.backend_factory()
    try:
        return build_profile(backend, detail.task.entity_id)
    except (KeyError, LookupError, ValueError):
        return None


def _task_page(
    request: Request, user: Principal, task_id: str, status_code: int = 200, **extra: object
) -> HTMLResponse:
    with request.app.state.store.uow(user.username) as uow:
        try:
            detail = task_detail(uow, user, task_id, request.app.state.backend_factory())
        except NotFound:
            return render(request, "message.html", user, status_code=404, message_key="not_found")
    ops = case_operations(request.app.state.backend_factory(), detail.task) if detail.task.kind == "integrity" else []
    return render(
        request,
        "task.html",
        user,
        status_code=status_code,
        d=detail,
        profile=_profile(request, detail),
        ops=ops,
        timeline=timeline_chart(ops),
        **extra,
    )


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, task_id: str, user: PageUser) -> HTMLResponse:
    """One task: profile, hits with evidence, explanation, the matter's steps as a form."""
    return _task_page(request, user, task_id, saved=request.query_params.get("saved") == "1")


def _money(text: str) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        return Decimal("-1")


@router.post("/tasks/{task_id}/respond", response_class=HTMLResponse)
async def respond_page(request: Request, task_id: str, user: PageUser) -> Response:
    """Submit the response form; a refusal shows what is missing."""
    form = await request.form()
    record = {k[7:]: str(v) for k, v in form.items() if k.startswith("record_") and str(v).strip()}
    evidence = [line.strip() for line in str(form.get("evidence", "")).splitlines() if line.strip()]
    finding = str(form.get("finding", "no_issue"))
    if finding not in ("no_issue", "adjusted", "fraud"):
        finding = "no_issue"
    answer = ResponseInput(
        steps=[str(s) for s in form.getlist("steps")],
        record=record,
        outputs=[str(o) for o in form.getlist("outputs")],
        evidence=evidence,
        finding=finding,  # type: ignore[arg-type]
        tax_recovered=_money(str(form.get("tax_recovered", "0"))),
    )
    version = int(str(form.get("version", "0")) or 0) or None
    with request.app.state.store.uow(user.username) as uow:
        try:
            guard = step_guard(request.app.state.settings, request.app.state.backend_factory())
            respond(uow, task_id, user.officer_id or "", answer, version=version, guard=guard)
            uow.commit()
        except (ResponseRefused, StepBlocked) as exc:
            uow.commit()
            missing = getattr(exc, "missing", None) or getattr(exc, "reasons", [])
            return _task_page(request, user, task_id, status_code=422, missing=missing)
        except (NotAllowed, NotFound) as exc:
            return _task_page(request, user, task_id, status_code=403, problem=str(exc))
    return RedirectResponse(f"/tasks/{task_id}?saved=1", status_code=303)


@router.post("/tasks/{task_id}/review", response_class=HTMLResponse)
async def review_page(request: Request, task_id: str, user: PageUser) -> Response:
    """Submit a cross review of a finished task."""
    form = await request.form()
    result = ReviewInput(
        standard_followed="standard_followed" in form,
        policy_right="policy_right" in form,
        result_fair="result_fair" in form,
        integrity_doubt="integrity_doubt" in form,
        note=str(form.get("note", ""))[:2000],
    )
    with request.app.state.store.uow(user.username) as uow:
        try:
            submit_review(uow, task_id, user.officer_id or "", result)
            uow.commit()
        except (NotAllowed, NotFound) as exc:
            return _task_page(request, user, task_id, status_code=403, problem=str(exc))
    return RedirectResponse(f"/tasks/{task_id}?saved=1", status_code=303)
