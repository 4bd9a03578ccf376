"""Rich renderables of a taxpayer profile (Chinese and English labels) for the CLI."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table

from taxloop.profile.service import TaxpayerProfile

SECTIONS: dict[str, tuple[str, list[str]]] = {
    "registrations": (
        "登记信息 Registrations",
        ["registration_id", "tin", "name", "kind", "region_code", "status", "registered_on", "legal_rep_name"],
    ),
    "changes": ("变更记录 Changes", ["tin", "field", "old_value", "new_value", "changed_on"]),
    "vat_returns": ("增值税申报 VAT returns", ["tin", "period", "sales", "output_tax", "input_tax", "tax_payable"]),
    "cit_returns": ("企业所得税 CIT returns", ["tin", "year", "revenue", "cost", "profit", "tax_payable"]),
    "payments": ("缴款 Payments", ["tin", "tax_type", "period", "amount_due", "amount_paid", "paid_on"]),
    "invoices_out": ("销项（按购方）Invoices out", ["counterparty_tin", "counterparty_name", "value", "invoices"]),
    "invoices_in": ("进项（按销方）Invoices in", ["counterparty_tin", "counterparty_name", "value", "invoices"]),
    "audits": ("历史检查 Past cases", ["case_id", "opened_on", "closed_on", "selection", "finding", "tax_recovered"]),
    "risk_hits": ("风险指标 Risk hits", ["code", "period", "value", "threshold", "evidence"]),
    "gang": ("团伙 Gang", ["gang_id", "tin", "role", "evidence"]),
}


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def rows_table(title: str, rows: list[dict[str, Any]], columns: list[str], limit: int = 24) -> Table:
    """A table of the given columns (those present), at most ``limit`` rows, with a note of the rest."""
    present = [c for c in columns if any(c in r for r in rows)] or columns
    table = Table(title=title, title_justify="left", show_lines=False)
    for col in present:
        table.add_column(col, overflow="fold")
    for row in rows[:limit]:
        table.add_row(*[_fmt(row.get(c)) for c in present])
    if len(rows) > limit:
        table.caption = f"… {len(rows) - limit} more / 另有 {len(rows) - limit} 行"
    return table


def render_profile(profile: TaxpayerProfile) -> RenderableType:
    """The whole profile as one rich renderable."""
    parts: list[RenderableType] = [
        Panel(
            f"[bold]{profile.entity_id}[/]  TINs / 纳税人识别号: {', '.join(profile.tins)}",
            title="一户式画像 360° taxpayer profile",
        )
    ]
    data = profile.model_dump()
    for key, (title, columns) in SECTIONS.items():
        rows = data.get(key) or []
        if rows:
            parts.append(rows_table(title, rows, columns))
    for table, rows in profile.third_party.items():
        if rows:
            parts.append(rows_table(f"第三方数据 Third party: {table}", rows, list(rows[0].keys())[:8]))
    if profile.people:
        people = Table(title="相关人员 People behind it", title_justify="left")
        for col in ("person_id", "name", "roles", "other firms / 关联企业"):
            people.add_column(col, overflow="fold")
        for p in profile.people:
            firms = "; ".join(f"{f.get('tin')} {f.get('name') or ''} ({f.get('role')})" for f in p.other_firms)
            people.add_row(p.person_id, p.name or "", ", ".join(p.roles), firms or "—")
        parts.append(people)
    if profile.network:
        keys = [
            "role",
            "gang_id",
            "in_degree",
            "out_degree",
            "in_value",
            "out_value",
            "pass_through_ratio",
            "pass_lag_days",
            "goods_change_share",
            "cycle_count",
            "evidence",
        ]
        parts.append(rows_table("网络特征 Network features", [profile.network], keys))
    if profile.missing_tables:
        parts.append(f"[dim]absent tables / 缺少的数据表: {', '.join(profile.missing_tables)}[/]")
    return Group(*parts)
