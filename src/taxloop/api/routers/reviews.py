"""Cross review of finished tasks."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from taxloop.api.deps import CurrentUser, Uow
from taxloop.workflow.models import ReviewInput
from taxloop.workflow.review import submit_review

router = APIRouter(prefix="/api/reviews", tags=["reviews"])


class Reviewed(BaseModel):
    """Result of a review: the integrity case it opened, if any."""

    review_task_id: str
    integrity_case_id: str | None


@router.post("/{review_task_id}", response_model=Reviewed)
def review(review_task_id: str, body: ReviewInput, uow: Uow, principal: CurrentUser) -> Reviewed:
    """Record a review (standard followed, policy right, result fair, integrity doubt) / 提交复核结果."""
    if principal.officer_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only officers review / 仅税务人员可复核")
    case_id = submit_review(uow, review_task_id, principal.officer_id, body)
    uow.commit()
    return Reviewed(review_task_id=review_task_id, integrity_case_id=case_id)
