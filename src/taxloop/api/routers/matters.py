"""The matter catalogue (事项清单)."""

from __future__ import annotations

from fastapi import APIRouter

from taxloop.api.deps import CurrentUser
from taxloop.workflow.matters import Matter, default_catalogue

router = APIRouter(prefix="/api/matters", tags=["matters"])


@router.get("", response_model=list[Matter])
def list_matters(_: CurrentUser) -> list[Matter]:
    """Every matter with its four elements / 事项及其四要素."""
    cat = default_catalogue()
    return [cat.matters[code] for code in sorted(cat.matters)]


@router.get("/{code}", response_model=Matter)
def get_matter(code: str, _: CurrentUser) -> Matter:
    """One matter."""
    return default_catalogue().get(code)
