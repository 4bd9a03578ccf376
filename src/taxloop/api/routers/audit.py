"""The tamper-evident audit trail: verification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from taxloop.api.accounts import Principal
from taxloop.api.deps import Uow, require
from taxloop.workflow import audit

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("/verify")
def verify(uow: Uow, _: Annotated[Principal, Depends(require("auditor", "leader", "discipline"))]) -> dict[str, Any]:
    """Re-compute the hash chain; reports the first bad event if any / 审计链校验."""
    report = audit.verify(uow.conn)
    return dict(report.__dict__)
