"""Responses: an officer answers a task against its matter's standard.

A response lacking a required step, record field, output, evidence or recovered tax is refused
with the list of what is missing. Steps of a power matter go through the ``StepGuard`` first: a
block raises ``StepBlocked`` unless a higher-level officer overrides (then logged and flagged);
a reminder is recorded in the audit trail. Deadlines: a response after ``due_at`` is overdue.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa

from taxloop.workflow.errors import NotAllowed, ResponseRefused, StepBlocked
from taxloop.workflow.guard import AllowAllGuard, GuardDecision, StepContext, StepGuard
from taxloop.workflow.matters import Catalogue, Matter, default_catalogue
from taxloop.workflow.models import Officer, ResponseInput, Task
from taxloop.workflow.tables import responses, tasks
from taxloop.workflow.uow import UnitOfWork


def missing_items(matter: Matter, answer: ResponseInput) -> list[str]:
    """What ``answer`` lacks against the matter's standard (empty = complete)."""
    missing = [f"step:{s}" for s in matter.required_steps if s not in answer.steps]
    missing += [f"step:{s}(unknown)" for s in answer.steps if s not in {x.code for x in matter.steps}]
    missing += [f"record:{f}" for f in matter.standard.record_fields if answer.record.get(f) in (None, "", [])]
    missing += [f"output:{o}" for o in matter.standard.outputs if o not in answer.outputs]
    if answer.finding not in matter.standard.findings:
        missing.append(f"finding:{answer.finding}(not allowed; one of {'/'.join(matter.standard.findings)})")
    if answer.finding in matter.standard.recovery_required_for and answer.tax_recovered <= 0:
        missing.append("tax_recovered(>0)")
    if answer.finding in matter.standard.evidence_required_for and not answer.evidence:
        missing.append("evidence")
    return missing


def check_officer(task: Task, officer: Officer, matter: Matter, steps: list[str]) -> None:
    """``NotAllowed`` unless the officer holds the task and may do each step."""
    if task.assignee_id != officer.officer_id:
        raise NotAllowed(f"task {task.task_id} is not assigned to {officer.officer_id} / 该任务未分配给此人")
    if task.status != "allocated":
        raise NotAllowed(f"task {task.task_id} is {task.status}, not open for a response / 任务状态不允许应对")
    for code in steps:
        step = matter.step(code)
        if officer.role not in step.roles or officer.level < step.min_level:
            raise NotAllowed(
                f"{officer.officer_id} ({officer.role}, level {officer.level}) may not do step {code} of "
                f"{matter.code} (needs {'/'.join(step.roles)}, level {step.min_level}) / 无权办理此环节"
            )


def _guard(
    uow: UnitOfWork,
    guard: StepGuard,
    task: Task,
    officer: Officer,
    matter: Matter,
    answer: ResponseInput,
    at: datetime,
    override_by: str | None,
) -> tuple[str | None, bool]:
    """Ask the guard for every power step; returns (override officer, flagged)."""
    flagged = False
    for step in (s for s in matter.steps if s.power and s.code in answer.steps):
        amount = answer.record.get("amount")
        ctx = StepContext(
            task.task_id,
            matter.code,
            step.code,
            officer.officer_id,
            officer.level,
            officer.unit_code,
            at,
            task.entity_id,
            tuple(task.tins),
            Decimal(str(amount)) if amount is not None else None,
            max(step.min_level, matter.authority_level),
            dict(answer.record),
        )
        decision: GuardDecision = guard.check(ctx)
        payload = {
            "step": step.code,
            "level": decision.level,
            "reasons": list(decision.reasons),
            "rule_codes": list(decision.rule_codes),
        }
        if decision.level == "remind":
            uow.record("guard.remind", task.task_id, payload, at=at)
        elif decision.level == "block":
            if override_by is None:
                uow.record("guard.block", task.task_id, payload, at=at)
                raise StepBlocked(task.task_id, list(decision.reasons), list(decision.rule_codes))
            boss = uow.officers.get(override_by)
            if boss.level <= officer.level or boss.officer_id == officer.officer_id:
                raise NotAllowed(
                    f"override needs a higher-level officer than {officer.officer_id} / 需更高层级人员授权"
                )
            uow.record("guard.override", task.task_id, {**payload, "override_by": override_by}, at=at)
            flagged = True
    return (override_by if flagged else None), flagged


def respond(
    uow: UnitOfWork,
    task_id: str,
    officer_id: str,
    answer: ResponseInput,
    version: int | None = None,
    guard: StepGuard | None = None,
    override_by: str | None = None,
    at: datetime | None = None,
    catalogue: Catalogue | None = None,
) -> Task:
    """Record an officer's response and finish the task; raises a domain error when not acceptable."""
    cat = catalogue or default_catalogue()
    task = uow.tasks.get(task_id, for_update=version is None)
    read_version = task.version if version is None else version
    matter = cat.get(task.matter_code)
    officer = uow.officers.get(officer_id)
    check_officer(task, officer, matter, answer.steps)
    missing = missing_items(matter, answer)
    if missing:
        uow.record("response.refused", task_id, {"missing": missing}, actor=officer_id, at=at)
        raise ResponseRefused(task_id, missing)
    when = at or uow.now()
    override, flagged = _guard(uow, guard or AllowAllGuard(), task, officer, matter, answer, when, override_by)
    overdue = bool(task.due_at and when > task.due_at)
    uow.tasks.update(
        task_id,
        read_version,
        status="finished",
        finished_at=when,
        finding=answer.finding,
        tax_recovered=answer.tax_recovered,
        overdue=overdue,
    )
    uow.conn.execute(
        responses.insert().values(
            task_id=task_id,
            officer_id=officer_id,
            submitted_at=when,
            steps=answer.steps,
            record=answer.record,
            outputs=answer.outputs,
            evidence=answer.evidence,
            finding=answer.finding,
            tax_recovered=answer.tax_recovered,
            overdue=overdue,
            override_by=override,
            flagged=flagged,
        )
    )
    uow.record(
        "task.respond",
        task_id,
        {"finding": answer.finding, "tax_recovered": str(answer.tax_recovered), "overdue": overdue, "flagged": flagged},
        actor=officer_id,
        at=when,
    )
    return uow.tasks.get(task_id)


def overdue_open(uow: UnitOfWork, at: datetime | None = None) -> list[Task]:
    """Allocated tasks past their deadline and still open (overtime tracking)."""
    now = at or uow.now()
    return uow.tasks.find(tasks.c.status == "allocated", tasks.c.due_at < now)


def response_of(uow: UnitOfWork, task_id: str) -> dict[str, object] | None:
    """The last response recorded for a task (or None)."""
    row = uow.conn.execute(_last_response_query(), {"task_id": task_id}).mappings().first()
    return dict(row) if row else None


@cache
def _last_response_query() -> sa.Select[Any]:
    """A task's last response (``task_id`` a bind parameter; built once)."""
    where = responses.c.task_id == sa.bindparam("task_id", type_=sa.String)
    return sa.select(responses).where(where).order_by(responses.c.response_id.desc()).limit(1)
