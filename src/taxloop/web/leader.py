"""Leader dashboard: figures from bureau down to officer, charts and a region × industry heat map (Plotly,
served from the installed package — no CDN)."""

from __future__ import annotations

from typing import Literal

import plotly.graph_objects as go
import plotly.io as pio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.dashboard.figures import Figures, compute
from taxloop.web.common import PageUser, render, require_page_role

router = APIRouter(include_in_schema=False)
NEXT_LEVEL = {"bureau": "region", "region": "unit", "unit": "officer", "officer": "officer"}


def figures_chart(rows: list[Figures], lang: str) -> str:
    """Bars of hit rate and overtime rate per row (HTML fragment)."""
    keys = [r.key for r in rows]
    zh = lang == "zh"
    fig = go.Figure(
        [
            go.Bar(name="命中率" if zh else "Hit rate", x=keys, y=[(r.hit_rate or 0) * 100 for r in rows]),
            go.Bar(name="超时率" if zh else "Overtime rate", x=keys, y=[(r.overtime_rate or 0) * 100 for r in rows]),
        ]
    )
    fig.update_layout(
        barmode="group",
        height=320,
        margin={"t": 30, "b": 40, "l": 40, "r": 10},
        yaxis_title="%",
        legend={"orientation": "h"},
    )
    return str(pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id="chart-figures"))


def heatmap(backend: AnalyticsBackend, region: str | None, lang: str) -> str | None:
    """High-risk taxpayers per region and industry section (first letter of the industry code)."""
    if not backend.has_table("risk_scores"):
        return None
    where = "WHERE level = 'high'" + (f" AND region_code = '{region.replace(chr(39), '')}'" if region else "")
    rows = backend.query(
        "SELECT region_code, substr(industry_code, 1, 1) AS section, count(*) AS n FROM risk_scores "
        f"{where} GROUP BY 1, 2 ORDER BY 1, 2"
    ).to_pylist()
    if not rows:
        return None
    regions = sorted({str(r["region_code"]) for r in rows})
    sections = sorted({str(r["section"]) for r in rows})
    grid = [[0] * len(sections) for _ in regions]
    for r in rows:
        grid[regions.index(str(r["region_code"]))][sections.index(str(r["section"]))] = int(r["n"])
    fig = go.Figure(go.Heatmap(z=grid, x=sections, y=regions, colorscale="Reds"))
    fig.update_layout(
        height=360,
        margin={"t": 20, "b": 40, "l": 80, "r": 10},
        xaxis_title="行业门类" if lang == "zh" else "Industry section",
        yaxis_title="区局" if lang == "zh" else "Region",
    )
    return str(pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id="chart-heatmap"))


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    user: PageUser,
    level: Literal["bureau", "region", "unit", "officer"] = "region",
    region: str | None = None,
) -> HTMLResponse:
    """The dashboard at one level; each row links one level down."""
    require_page_role(user, "leader", "auditor", "analyst", "discipline")
    scope = region if user.sees_all_regions else user.region_code
    with request.app.state.store.uow(user.username) as uow:
        rows = compute(uow.conn, level, scope)
        total = compute(uow.conn, "bureau", scope)
    from taxloop.web.common import lang_of

    lang = lang_of(request)
    return render(
        request,
        "dashboard.html",
        user,
        rows=rows,
        total=total[0] if total else None,
        level=level,
        region=scope,
        next_level=NEXT_LEVEL[level],
        chart=figures_chart(rows, lang) if rows else None,
        heat=heatmap(request.app.state.backend_factory(), scope, lang),
    )
