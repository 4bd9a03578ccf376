"""The leader dashboard's figures, each computed by one SQL query over the workflow store.

Definitions (every figure is a count or a ratio of counts a test can check):
- pushed: tasks pushed to officers (status past ``generated``); finished: responded (finished or closed);
- overdue_open: allocated tasks past their deadline; overtime_rate: finished late / finished;
- hit_rate: finished risk tasks whose finding is ``adjusted`` or ``fraud`` / finished risk tasks;
- tax_recovered: sum over finished risk tasks;
- review_failure_rate: reviews where the standard, the policy or the fairness check failed / reviews done;
- integrity_cases: integrity tasks opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import sqlalchemy as sa

from taxloop.workflow.tables import officers, reviews, tasks

Level = Literal["bureau", "region", "unit", "officer"]


@dataclass(frozen=True)
class Figures:
    """One row of the dashboard."""

    key: str
    pushed: int
    finished: int
    overdue_open: int
    finished_late: int
    risk_finished: int
    risk_hits: int
    tax_recovered: Decimal
    reviews_done: int
    reviews_failed: int
    integrity_cases: int

    @property
    def overtime_rate(self) -> float | None:
        """Finished late / finished."""
        return self.finished_late / self.finished if self.finished else None

    @property
    def hit_rate(self) -> float | None:
        """Risk tasks with a finding / risk tasks finished."""
        return self.risk_hits / self.risk_finished if self.risk_finished else None

    @property
    def review_failure_rate(self) -> float | None:
        """Failed reviews / reviews done."""
        return self.reviews_failed / self.reviews_done if self.reviews_done else None


def _key(level: Level) -> sa.ColumnElement[str]:
    if level == "bureau":
        return sa.literal("bureau")
    if level == "region":
        return tasks.c.region_code
    if level == "unit":
        return sa.func.coalesce(officers.c.unit_code, "-")
    return sa.func.coalesce(tasks.c.assignee_id, "-")


def compute(
    conn: sa.Connection, level: Level = "region", region_code: str | None = None, now: datetime | None = None
) -> list[Figures]:
    """Figures per bureau, region, unit or officer (optionally within one region)."""
    at = now or datetime.utcnow()
    key = _key(level).label("key")
    is_risk = tasks.c.kind == "risk"
    done = tasks.c.status.in_(["finished", "closed"])
    failed = sa.or_(
        reviews.c.standard_followed.is_(False), reviews.c.policy_right.is_(False), reviews.c.result_fair.is_(False)
    )

    def count(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.sum(sa.case((cond, 1), else_=0))

    q = (
        sa.select(
            key,
            count(tasks.c.status.notin_(["generated", "cancelled"])).label("pushed"),
            count(done).label("finished"),
            count(sa.and_(tasks.c.status == "allocated", tasks.c.due_at < at)).label("overdue_open"),
            count(sa.and_(done, tasks.c.overdue.is_(True))).label("finished_late"),
            count(sa.and_(done, is_risk)).label("risk_finished"),
            count(sa.and_(done, is_risk, tasks.c.finding.in_(["adjusted", "fraud"]))).label("risk_hits"),
            sa.func.coalesce(sa.func.sum(sa.case((sa.and_(done, is_risk), tasks.c.tax_recovered), else_=0)), 0).label(
                "tax_recovered"
            ),
            count(sa.and_(tasks.c.kind == "review", reviews.c.reviewer_id.is_not(None))).label("reviews_done"),
            count(sa.and_(tasks.c.kind == "review", reviews.c.reviewer_id.is_not(None), failed)).label(
                "reviews_failed"
            ),
            count(tasks.c.kind == "integrity").label("integrity_cases"),
        )
        .select_from(
            tasks.outerjoin(officers, officers.c.officer_id == tasks.c.assignee_id).outerjoin(
                reviews, reviews.c.review_task_id == tasks.c.task_id
            )
        )
        .group_by(key)
        .order_by(key)
    )
    if region_code is not None:
        q = q.where(tasks.c.region_code == region_code)
    return [
        Figures(
            key=str(r.key),
            pushed=int(r.pushed or 0),
            finished=int(r.finished or 0),
            overdue_open=int(r.overdue_open or 0),
            finished_late=int(r.finished_late or 0),
            risk_finished=int(r.risk_finished or 0),
            risk_hits=int(r.risk_hits or 0),
            tax_recovered=Decimal(str(r.tax_recovered or 0)),
            reviews_done=int(r.reviews_done or 0),
            reviews_failed=int(r.reviews_failed or 0),
            integrity_cases=int(r.integrity_cases or 0),
        )
        for r in conn.execute(q)
    ]
