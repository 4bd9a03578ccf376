"""Analyst pages: indicators with their measured effectiveness, promote/retire, draft and test an indicator on
the warehouse, and the gangs found by network analysis drawn as a graph."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import sqlglot
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlglot import exp

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.risk import lifecycle
from taxloop.rules.spec import load_rules
from taxloop.web.common import PageUser, render, require_page_role

router = APIRouter(include_in_schema=False)
LIBRARY = Path(__file__).resolve().parents[1] / "library" / "indicators"
ANALYSTS = ("analyst", "leader", "auditor")


def _feedback(backend: AnalyticsBackend) -> dict[str, dict[str, object]]:
    if not backend.has_table("indicator_feedback"):
        return {}
    return {str(r["code"]): r for r in backend.query("SELECT * FROM indicator_feedback").to_pylist()}


@router.get("/indicators", response_class=HTMLResponse)
def indicators_page(request: Request, user: PageUser) -> HTMLResponse:
    """Every indicator with its status (after decisions) and effectiveness from task outcomes."""
    require_page_role(user, *ANALYSTS)
    backend = request.app.state.backend_factory()
    decided = lifecycle.overrides(backend)
    specs = load_rules(LIBRARY) if LIBRARY.is_dir() else []
    rows = [{"spec": s, "status": lifecycle.effective_status(s.status, s.code, decided)} for s in specs]
    return render(
        request,
        "indicators.html",
        user,
        rows=rows,
        feedback=_feedback(backend),
        sql=request.query_params.get("sql", ""),
    )


@router.post("/indicators/{code}/status", response_class=HTMLResponse)
def set_status_page(
    request: Request, code: str, user: PageUser, status: str = Form(...), reason: str = Form("")
) -> Response:
    """Promote or retire an indicator (analysts and leaders)."""
    require_page_role(user, "analyst", "leader")
    lifecycle.set_status(request.app.state.backend_factory(), code, status, user.username, reason[:500])
    return RedirectResponse("/indicators", status_code=303)


FILE_FUNCTIONS = ("read_", "glob", "sniff_", "parquet_", "iceberg_", "delta_", "query_table", "getenv")


def read_only_select(sql: str, known_tables: set[str]) -> str:
    """The SQL if it is one SELECT over warehouse tables only (no writes, no file or environment access)."""
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ValueError(f"SQL does not parse: {exc}") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ValueError("only one SELECT statement may be tested / 仅允许单条查询语句")
    tree = statements[0]
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if (table.name not in known_tables and table.name not in ctes) or table.args.get("db"):
            raise ValueError(f"unknown table {table.sql()!r}: only warehouse tables / 仅允许查询数据仓库表")
    for func in tree.find_all(exp.Func):
        name = (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()
        if name.startswith(FILE_FUNCTIONS):
            raise ValueError(f"function {name} is not allowed / 不允许使用该函数")
    return tree.sql(dialect="duckdb")


@router.post("/indicators/test", response_class=HTMLResponse)
def test_indicator(request: Request, user: PageUser, sql: str = Form(...)) -> HTMLResponse:
    """Run a draft indicator's SELECT on the warehouse and show its hits (first 50) and their count."""
    require_page_role(user, "analyst", "leader")
    backend = request.app.state.backend_factory()
    try:
        checked = read_only_select(sql, set(backend.table_names()))
        result = backend.query(f"SELECT * FROM ({checked}) q LIMIT 50")
        count = backend.query(f"SELECT count(*) AS n FROM ({checked}) q").column("n")[0].as_py()
        test = {"columns": result.column_names, "rows": result.to_pylist(), "count": count, "error": None}
    except Exception as exc:  # the analyst's SQL: any engine error is shown, not raised
        test = {"columns": [], "rows": [], "count": 0, "error": str(exc)}
    specs = load_rules(LIBRARY) if LIBRARY.is_dir() else []
    decided = lifecycle.overrides(backend)
    rows = [{"spec": s, "status": lifecycle.effective_status(s.status, s.code, decided)} for s in specs]
    return render(request, "indicators.html", user, rows=rows, feedback=_feedback(backend), sql=sql, test=test)


def gang_graph(members: list[dict[str, object]], edges: list[dict[str, object]]) -> str:
    """A force-directed drawing of gang members (igraph layout, Plotly rendering)."""
    import igraph as ig

    names = sorted({str(m["tin"]) for m in members})
    index = {n: i for i, n in enumerate(names)}
    pairs = [
        (index[str(e["src"])], index[str(e["dst"])]) for e in edges if str(e["src"]) in index and str(e["dst"]) in index
    ]
    g = ig.Graph(n=len(names), edges=pairs, directed=True)
    coords = g.layout_fruchterman_reingold(seed=None).coords if names else []
    role = {str(m["tin"]): str(m.get("role") or "") for m in members}
    colors = {"source": "#b00020", "pass_through": "#c77700", "recipient": "#1f4e79"}
    ex, ey = [], []
    for a, b in pairs:
        ex += [coords[a][0], coords[b][0], None]
        ey += [coords[a][1], coords[b][1], None]
    fig = go.Figure(
        [
            go.Scatter(x=ex, y=ey, mode="lines", line={"color": "#aab"}, hoverinfo="none", showlegend=False),
            go.Scatter(
                x=[c[0] for c in coords],
                y=[c[1] for c in coords],
                mode="markers+text",
                text=names,
                textposition="top center",
                hovertext=[f"{n} {role[n]}" for n in names],
                showlegend=False,
                marker={"size": 14, "color": [colors.get(role[n], "#888") for n in names]},
            ),
        ]
    )
    fig.update_layout(
        height=480, xaxis={"visible": False}, yaxis={"visible": False}, margin={"t": 10, "b": 10, "l": 10, "r": 10}
    )
    return str(pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id="gang-graph"))


@router.get("/gangs", response_class=HTMLResponse)
def gangs_page(request: Request, user: PageUser, gang: str | None = None) -> HTMLResponse:
    """Gangs found by invoice-network analysis; one gang drawn as a graph."""
    require_page_role(user, *ANALYSTS)
    backend = request.app.state.backend_factory()
    if not backend.has_table("gangs"):
        return render(request, "gangs.html", user, gangs=[], members=[], graph=None, gang=None)
    gangs = backend.query(
        "SELECT gang_id, count(*) AS members FROM gangs GROUP BY gang_id ORDER BY members DESC, gang_id LIMIT 200"
    ).to_pylist()
    chosen = gang or (str(gangs[0]["gang_id"]) if gangs else None)
    members: list[dict[str, object]] = []
    graph = None
    if chosen:
        safe = chosen.replace("'", "''")
        members = backend.query(f"SELECT * FROM gangs WHERE gang_id = '{safe}' ORDER BY role, tin").to_pylist()
        tins = ", ".join("'" + str(m["tin"]).replace("'", "''") + "'" for m in members)
        edges = (
            backend.query(
                f"SELECT seller_tin AS src, buyer_tin AS dst, count(*) AS n FROM invoices WHERE seller_tin IN ({tins}) "
                f"AND buyer_tin IN ({tins}) GROUP BY 1, 2"
            ).to_pylist()
            if members and backend.has_table("invoices")
            else []
        )
        graph = gang_graph(members, edges)
    return render(request, "gangs.html", user, gangs=gangs, members=members, graph=graph, gang=chosen)
