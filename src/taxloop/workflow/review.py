"""Cross review, integrity cases and the performance they feed.

A seeded random share of finished risk tasks goes to review by an officer of another unit. A
review records whether the standard was followed, the policy applied right and the result fair;
a review that finds integrity doubts opens an integrity case (visible to discipline and auditors only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from taxloop.workflow.assign import AllocationRun, allocate_tasks
from taxloop.workflow.errors import NotAllowed
from taxloop.workflow.models import ReviewInput, Task
from taxloop.workflow.tables import reviews, tasks
from taxloop.workflow.uow import UnitOfWork


def select_for_review(uow: UnitOfWork, share: float, seed: int) -> list[Task]:
    """Draw ``share`` of the finished risk tasks not drawn from before (seeded); create their review tasks."""
    pool = uow.tasks.find(tasks.c.kind == "risk", tasks.c.status == "finished", tasks.c.review_drawn.is_(False))
    if not pool or share <= 0:
        return []
    uow.tasks.update_many([{"task_id": t.task_id, "version": t.version, "review_drawn": True} for t in pool])
    n = round(len(pool) * share)
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(pool), size=n, replace=False).tolist()) if n else []
    now = uow.now()
    created: list[Task] = []
    for i in picked:
        t = pool[i]
        created.append(
            Task(
                task_id=f"R-{t.task_id}",
                kind="review",
                matter_code="TASK_REVIEW",
                batch_id=t.batch_id,
                entity_id=t.entity_id,
                tins=t.tins,
                region_code=t.region_code,
                selection="random",
                difficulty=2,
                persons=t.persons,
                status="pushed",
                parent_task_id=t.task_id,
                subject_officer_id=t.assignee_id,
                created_at=now,
                pushed_at=now,
            )
        )
    uow.tasks.add_many(created)
    uow.conn.execute(
        reviews.insert(),
        [
            {"review_task_id": r.task_id, "task_id": r.parent_task_id, "reviewed_officer_id": r.subject_officer_id}
            for r in created
        ],
    )
    for r in created:
        uow.record("review.select", r.task_id, {"task_id": r.parent_task_id, "share": share, "seed": seed})
    return created


def allocate_reviews(uow: UnitOfWork, seed: int, task_ids: list[str] | None = None) -> AllocationRun:
    """Allocate review tasks across regions to officers of another unit than the reviewed officer."""
    where = [tasks.c.kind == "review", tasks.c.status == "pushed"]
    if task_ids is not None:
        where.append(tasks.c.task_id.in_(task_ids))
    todo = uow.tasks.find(*where)
    units = {}
    for t in todo:
        if t.subject_officer_id:
            units[t.task_id] = uow.officers.get(t.subject_officer_id).unit_code
    return allocate_tasks(
        uow,
        seed,
        [t.task_id for t in todo],
        kind="review",
        rotation_depth=0,
        exclude_own_unit_of=units,
        cross_region=True,
    )


def allocate_integrity_cases(uow: UnitOfWork, seed: int, task_ids: list[str] | None = None) -> AllocationRun:
    """Allocate integrity cases to discipline officers, never of the subject officer's own unit."""
    where = [tasks.c.kind == "integrity", tasks.c.status == "pushed"]
    if task_ids is not None:
        where.append(tasks.c.task_id.in_(task_ids))
    todo = uow.tasks.find(*where)
    units = {t.task_id: uow.officers.get(t.subject_officer_id).unit_code for t in todo if t.subject_officer_id}
    return allocate_tasks(
        uow,
        seed,
        [t.task_id for t in todo],
        kind="integrity",
        rotation_depth=0,
        exclude_own_unit_of=units,
        cross_region=True,
    )


def submit_review(uow: UnitOfWork, review_task_id: str, reviewer_id: str, result: ReviewInput) -> str | None:
    """Record a review; finishes the review task; opens an integrity case on doubts (returns its id)."""
    task = uow.tasks.get(review_task_id)
    if task.kind != "review":
        raise NotAllowed(f"{review_task_id} is not a review task / 非复核任务")
    if task.assignee_id != reviewer_id or task.status != "allocated":
        raise NotAllowed(f"review {review_task_id} is not open for {reviewer_id} / 无权提交该复核")
    now = uow.now()
    finding = "no_issue" if result.standard_followed and result.policy_right and result.result_fair else "adjusted"
    uow.tasks.update(
        review_task_id,
        task.version,
        status="finished",
        finished_at=now,
        finding=finding,
        overdue=bool(task.due_at and now > task.due_at),
        note=result.note,
    )
    case_id = None
    if result.integrity_doubt and task.subject_officer_id:
        case_id = open_integrity_case(
            uow,
            task.subject_officer_id,
            f"review {review_task_id}: {result.note}",
            related_task_ids=[str(task.parent_task_id)],
        )
    uow.conn.execute(
        reviews.update()
        .where(reviews.c.review_task_id == review_task_id)
        .values(
            reviewer_id=reviewer_id,
            at=now,
            standard_followed=result.standard_followed,
            policy_right=result.policy_right,
            result_fair=result.result_fair,
            integrity_doubt=result.integrity_doubt,
            note=result.note,
            integrity_task_id=case_id,
        )
    )
    uow.record("review.submit", review_task_id, {**result.model_dump(), "integrity_case": case_id}, actor=reviewer_id)
    return case_id


def open_integrity_case(
    uow: UnitOfWork,
    officer_id: str,
    reason: str,
    related_task_ids: list[str] | None = None,
    evidence: list[str] | None = None,
    rule_codes: list[str] | None = None,
) -> str:
    """Open an integrity investigation about ``officer_id`` (restricted to discipline and auditors)."""
    subject = uow.officers.get(officer_id)
    now = uow.now()
    n = uow.conn.execute(sa.select(sa.func.count()).where(tasks.c.kind == "integrity")).scalar_one()
    case_id = f"I{now:%Y%m%d}-{int(n) + 1:06d}"
    uow.tasks.add_many(
        [
            Task(
                task_id=case_id,
                kind="integrity",
                matter_code="INTEGRITY_CASE",
                region_code=subject.region_code,
                selection="indicator" if rule_codes else "review",
                difficulty=3,
                indicators=sorted(rule_codes or []),
                hit_keys=sorted(evidence or []),
                status="pushed",
                subject_officer_id=officer_id,
                restricted=True,
                parent_task_id=related_task_ids[0] if related_task_ids else None,
                note=reason,
                created_at=now,
                pushed_at=now,
            )
        ]
    )
    uow.record(
        "integrity.open",
        case_id,
        {"officer_id": officer_id, "reason": reason, "related": related_task_ids or [], "rule_codes": rule_codes or []},
    )
    return case_id


@dataclass(frozen=True)
class Performance:
    """An officer's review record."""

    officer_id: str
    reviewed: int
    standard_followed: int
    policy_right: int
    result_fair: int
    integrity_doubts: int

    @property
    def score(self) -> float:
        """Share of the three review checks passed (1.0 = all)."""
        if not self.reviewed:
            return 1.0
        return (self.standard_followed + self.policy_right + self.result_fair) / (3 * self.reviewed)


def officer_performance(uow: UnitOfWork) -> list[Performance]:
    """Review results per reviewed officer (the performance evaluation input)."""
    t = sa.true()
    q = (
        sa.select(
            reviews.c.reviewed_officer_id,
            sa.func.count(),
            *[
                sa.func.sum(sa.case((col == t, 1), else_=0))
                for col in (
                    reviews.c.standard_followed,
                    reviews.c.policy_right,
                    reviews.c.result_fair,
                    reviews.c.integrity_doubt,
                )
            ],
        )
        .where(reviews.c.at.is_not(None))
        .group_by(reviews.c.reviewed_officer_id)
        .order_by(reviews.c.reviewed_officer_id)
    )
    return [
        Performance(str(r[0]), int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0), int(r[5] or 0))
        for r in uow.conn.execute(q)
    ]
