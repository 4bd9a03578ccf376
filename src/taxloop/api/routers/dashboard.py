"""The leader dashboard's figures, with drill-down from bureau to officer."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from taxloop.api.accounts import Principal
from taxloop.api.deps import Uow, require
from taxloop.dashboard.figures import compute

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])
Supervisor = Annotated[Principal, Depends(require("leader", "auditor", "analyst", "discipline"))]


class FigureRow(BaseModel):
    """One dashboard row."""

    key: str
    pushed: int
    finished: int
    overdue_open: int
    overtime_rate: float | None
    hit_rate: float | None
    tax_recovered: Decimal
    review_failure_rate: float | None
    integrity_cases: int


@router.get("", response_model=list[FigureRow])
def dashboard(
    uow: Uow,
    principal: Supervisor,
    level: Annotated[Literal["bureau", "region", "unit", "officer"], Query()] = "region",
    region: Annotated[str | None, Query(max_length=20)] = None,
) -> list[FigureRow]:
    """Tasks pushed, finished, overdue, overtime rate, hit rate, tax recovered, review failures, integrity cases.

    A leader of a region sees only that region, whatever ``region`` asks for.
    """
    scope = region if principal.sees_all_regions else principal.region_code
    rows = compute(uow.conn, level, scope)
    return [
        FigureRow(
            key=r.key,
            pushed=r.pushed,
            finished=r.finished,
            overdue_open=r.overdue_open,
            overtime_rate=r.overtime_rate,
            hit_rate=r.hit_rate,
            tax_recovered=r.tax_recovered,
            review_failure_rate=r.review_failure_rate,
            integrity_cases=r.integrity_cases,
        )
        for r in rows
    ]
