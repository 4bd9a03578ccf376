"""Inspector desk: integrity cases and the operations behind each, as a timeline (discipline and auditors)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.api.tasks_view import inbox
from taxloop.web.common import PageUser, render, require_page_role
from taxloop.workflow.models import Task

router = APIRouter(include_in_schema=False)


def _in(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"


def case_operations(backend: AnalyticsBackend, task: Task, limit: int = 300) -> list[dict[str, Any]]:
    """The evidence operations of a case and the subject officer's other operations on the same cases."""
    if not backend.has_table("operation_log") or not task.subject_officer_id:
        return []
    evidence = [k for k in task.hit_keys if k]
    officer = task.subject_officer_id.replace("'", "''")
    rows: list[dict[str, Any]] = backend.query(
        "SELECT op_id, ts, officer_id, matter_code, case_id, tin, action, amount, required_level, note, "
        f"op_id IN ({_in(evidence)}) AS evidence FROM operation_log "
        f"WHERE op_id IN ({_in(evidence)}) OR case_id IN ({_in(evidence)}) OR (officer_id = '{officer}' AND "
        f"case_id IN (SELECT case_id FROM operation_log WHERE op_id IN ({_in(evidence)}))) "
        f"ORDER BY ts LIMIT {int(limit)}"
    ).to_pylist()
    return rows


def timeline_chart(ops: list[dict[str, Any]]) -> str | None:
    """Operations on a time axis, one row per action; evidence in red."""
    if not ops:
        return None
    fig = go.Figure(
        go.Scatter(
            x=[o["ts"] for o in ops],
            y=[o["action"] for o in ops],
            mode="markers",
            marker={"size": 11, "color": ["#b00020" if o["evidence"] else "#1f4e79" for o in ops]},
            hovertext=[f"{o['op_id']} {o['officer_id']} {o['matter_code']} {o['case_id'] or ''}" for o in ops],
        )
    )
    fig.update_layout(height=300, margin={"t": 10, "b": 40, "l": 80, "r": 10})
    return str(pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id="timeline"))


@router.get("/integrity", response_class=HTMLResponse)
def integrity_page(request: Request, user: PageUser) -> HTMLResponse:
    """Integrity cases (restricted to discipline and auditors)."""
    require_page_role(user, "discipline", "auditor")
    with request.app.state.store.uow(user.username) as uow:
        cases = inbox(uow, user, kind="integrity", limit=500)
    return render(request, "integrity.html", user, cases=cases)
