"""Data-sharing hub: provider ledger, doubts, and permissioned reads of shared data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from taxloop.api.accounts import Principal
from taxloop.api.deps import AppSettings, Backend, CurrentUser, require
from taxloop.hub.access import AccessDenied, DataAccess, Reader
from taxloop.hub.crosscheck import doubt_summary
from taxloop.hub.registry import load_registry

router = APIRouter(prefix="/api/hub", tags=["hub"])
Viewer = Annotated[Principal, Depends(require("leader", "analyst", "auditor", "inspector"))]


@router.get("/ledger")
def ledger(backend: Backend, _: Viewer) -> list[dict[str, Any]]:
    """The provider ledger (rows, rejected, duplicates, timeliness, coverage per provider and month)."""
    if not backend.has_table("provider_ledger"):
        return []
    rows: list[dict[str, Any]] = backend.query(
        "SELECT * FROM provider_ledger ORDER BY provider, tbl, period"
    ).to_pylist()
    return rows


@router.get("/doubts")
def doubts(backend: Backend, _: Viewer) -> list[dict[str, Any]]:
    """Doubts raised by cross-checks and how many each source confirmed."""
    if not backend.has_table("hub_doubts"):
        return []
    summary: list[dict[str, Any]] = doubt_summary(backend).to_pylist()
    return summary


@router.get("/data/{table}")
def shared_data(
    table: str,
    backend: Backend,
    principal: CurrentUser,
    settings: AppSettings,
    tin: Annotated[str | None, Query(max_length=64)] = None,
    purpose: Annotated[str, Query(max_length=200)] = "",
) -> list[dict[str, Any]]:
    """Rows of a shared table under its agreement: refused without the right, personal data masked, read logged."""
    registry = load_registry()
    if registry.agreement(table) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{table} is not a shared table / 非共享数据表")
    if not backend.has_table(table):
        return []
    access = DataAccess(backend, registry, settings.warehouse / "hub" / "access_log.jsonl")
    try:
        rows = access.read(Reader(principal.username, principal.role, purpose), table, where_tin=tin, limit=200)
    except AccessDenied as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    return [{k: (str(v) if v is not None else None) for k, v in r.items()} for r in rows.to_pylist()]
