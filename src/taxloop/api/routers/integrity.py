"""Integrity cases: visible only to the discipline role and auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from taxloop.api.accounts import Principal
from taxloop.api.deps import Uow, require
from taxloop.api.tasks_view import inbox
from taxloop.workflow.models import Task

router = APIRouter(prefix="/api/integrity", tags=["integrity"])
Inspector = Annotated[Principal, Depends(require("discipline", "auditor"))]


@router.get("/cases", response_model=list[Task])
def cases(
    uow: Uow,
    principal: Inspector,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Task]:
    """Integrity cases (廉政风险案件), newest deadline first."""
    return inbox(uow, principal, status_, "integrity", limit, 0)
