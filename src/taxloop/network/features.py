"""The trading graph and per-firm network features, computed in SQL on the analytics backend.

``network_edges`` (seller_tin, buyer_tin, value, invoices, first_on, last_on) aggregates valid,
positive invoices between two different firms in the chosen date window. ``network_base`` holds one
row per firm: in/out degree, value and invoice counts, balance (pass-through) ratio, median lag
between an output invoice and the latest input before it, the share of output value in goods codes
never bought, the share of input value from abnormal or new firms, the most invoices exchanged with
one partner on one day (split invoicing), staff and power use (monthly averages) and their intensity:
staff per million yuan and kWh per 10,000 yuan of monthly output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from taxloop.analytics.backend import AnalyticsBackend


@dataclass
class Window:
    """Date window of the invoices analysed (ISO dates, inclusive; None = open)."""

    start: str | None = None
    end: str | None = None

    def where(self, column: str = "issued_on") -> str:
        """SQL condition for the window."""
        parts = []
        if self.start:
            parts.append(f"{column} >= DATE '{self.start}'")
        if self.end:
            parts.append(f"{column} <= DATE '{self.end}'")
        return " AND ".join(parts) or "TRUE"


def invoices_sql(window: Window) -> str:
    """Valid positive invoices between two different firms in the window."""
    return (
        "SELECT seller_tin, buyer_tin, CAST(issued_on AS DATE) AS issued_on, CAST(amount AS DOUBLE) AS amount, "
        "CAST(goods_code AS VARCHAR) AS goods_code FROM invoices "
        f"WHERE status = 'valid' AND buyer_tin IS NOT NULL AND amount > 0 AND seller_tin <> buyer_tin "
        f"AND {window.where()}"
    )


def flows_sql(window: Window) -> str:
    """The daily trading graph (first pass over the invoices): one row per seller, buyer and day."""
    return (
        "SELECT seller_tin, buyer_tin, issued_on, sum(amount) AS value, count(*) AS invoices "
        f"FROM ({invoices_sql(window)}) GROUP BY ALL"
    )


def goods_sql(window: Window) -> str:
    """Goods bought and sold per firm (second and last pass): ``tin, goods_code, side ('in'/'out'), value``."""
    return (
        "SELECT coalesce(seller_tin, buyer_tin) AS tin, goods_code,"
        " CASE WHEN seller_tin IS NULL THEN 'in' ELSE 'out' END AS side, value FROM ("
        "SELECT seller_tin, buyer_tin, goods_code, sum(amount) AS value "
        f"FROM ({invoices_sql(window)}) GROUP BY GROUPING SETS ((seller_tin, goods_code), (buyer_tin, goods_code)))"
    )


def edges_sql() -> str:
    """One row per (seller, buyer) from ``network_flows``: total value, invoice count, first and last date."""
    return (
        "SELECT seller_tin, buyer_tin, sum(value) AS value, CAST(sum(invoices) AS BIGINT) AS invoices, "
        "min(issued_on) AS first_on, max(issued_on) AS last_on FROM network_flows GROUP BY 1, 2"
    )


def period_sql() -> str:
    """Per firm and month from ``network_flows``: value, invoices and distinct partners, in and out."""
    return """
WITH pm AS (SELECT seller_tin, buyer_tin, strftime(issued_on, '%Y-%m') AS period,
                   sum(value) AS value, sum(invoices) AS invoices FROM network_flows GROUP BY ALL),
o AS (SELECT seller_tin AS tin, period, sum(value) AS out_value, CAST(sum(invoices) AS BIGINT) AS out_invoices,
             count(*) AS out_degree FROM pm GROUP BY ALL),
i AS (SELECT buyer_tin AS tin, period, sum(value) AS in_value, CAST(sum(invoices) AS BIGINT) AS in_invoices,
             count(*) AS in_degree FROM pm GROUP BY ALL)
SELECT coalesce(o.tin, i.tin) AS tin, coalesce(o.period, i.period) AS period,
  coalesce(i.in_value, 0) AS in_value, coalesce(o.out_value, 0) AS out_value,
  coalesce(i.in_invoices, 0) AS in_invoices, coalesce(o.out_invoices, 0) AS out_invoices,
  coalesce(i.in_degree, 0) AS in_degree, coalesce(o.out_degree, 0) AS out_degree
FROM o FULL JOIN i ON o.tin = i.tin AND o.period = i.period
"""


def _optional(backend: AnalyticsBackend, table: str, sql: str, empty: str) -> str:
    return sql if backend.has_table(table) else empty


def base_features_sql(backend: AnalyticsBackend, window: Window, new_days: int = 180) -> str:
    """Per-firm features from ``network_flows``, ``_goods``, ``_edges`` and ``_period`` (materialised first)."""
    firms = _optional(
        backend,
        "taxpayers",
        "SELECT tin, max(CASE WHEN status IN ('abnormal', 'deregistered') THEN 1 ELSE 0 END) AS abnormal, "
        "min(CAST(registered_on AS DATE)) AS registered_on FROM taxpayers GROUP BY tin",
        "SELECT NULL::VARCHAR AS tin, 0 AS abnormal, NULL::DATE AS registered_on WHERE FALSE",
    )
    staff = _optional(
        backend,
        "social_insurance",
        "SELECT tin, avg(insured_employees) AS staff FROM social_insurance GROUP BY tin",
        "SELECT NULL::VARCHAR AS tin, NULL::DOUBLE AS staff WHERE FALSE",
    )
    if backend.has_table("iit_withholding"):
        staff = (
            f"SELECT tin, max(staff) AS staff FROM ({staff} UNION ALL "
            "SELECT tin, avg(employees) AS staff FROM iit_withholding GROUP BY tin) GROUP BY tin"
        )
    power = _optional(
        backend,
        "utilities",
        "SELECT tin, avg(CAST(kwh AS DOUBLE)) AS kwh FROM utilities GROUP BY tin",
        "SELECT NULL::VARCHAR AS tin, NULL::DOUBLE AS kwh WHERE FALSE",
    )
    return f"""
WITH inv AS (SELECT seller_tin, buyer_tin, issued_on, value AS amount, invoices FROM network_flows),
outs AS (SELECT seller_tin AS tin, count(*) AS out_degree, sum(value) AS out_value, sum(invoices) AS out_invoices
         FROM network_edges GROUP BY 1),
months AS (SELECT tin, count(*) AS out_months FROM network_period WHERE out_invoices > 0 GROUP BY 1),
ins AS (SELECT buyer_tin AS tin, count(*) AS in_degree, sum(value) AS in_value, sum(invoices) AS in_invoices
        FROM network_edges GROUP BY 1),
nodes AS (SELECT tin FROM outs UNION SELECT tin FROM ins),
lag AS (SELECT o.seller_tin AS tin, median(date_diff('day', i.issued_on, o.issued_on)) AS pass_lag_days
        FROM inv o ASOF JOIN inv i ON o.seller_tin = i.buyer_tin AND o.issued_on >= i.issued_on GROUP BY 1),
in_goods AS (SELECT tin, goods_code FROM network_goods WHERE side = 'in'),
out_goods AS (SELECT tin, goods_code, value AS v FROM network_goods WHERE side = 'out'),
goods AS (SELECT o.tin, sum(CASE WHEN g.goods_code IS NULL THEN o.v ELSE 0 END) / sum(o.v) AS goods_change_share
          FROM out_goods o LEFT JOIN in_goods g ON o.tin = g.tin AND o.goods_code = g.goods_code
          WHERE o.tin IN (SELECT tin FROM in_goods) GROUP BY 1),
firms AS ({firms}),
risky_in AS (SELECT i.buyer_tin AS tin,
               sum(CASE WHEN f.abnormal = 1 OR date_diff('day', f.registered_on, i.issued_on) < {int(new_days)}
                   THEN i.amount ELSE 0 END) / sum(i.amount) AS abnormal_new_input_share
             FROM inv i LEFT JOIN firms f ON f.tin = i.seller_tin GROUP BY 1),
split AS (SELECT tin, CAST(max(k) AS BIGINT) AS max_pair_day_invoices FROM (
          SELECT seller_tin AS tin, max(invoices) AS k FROM inv GROUP BY 1
          UNION ALL SELECT buyer_tin, max(invoices) FROM inv GROUP BY 1) GROUP BY tin),
staff AS ({staff}),
power AS ({power})
SELECT n.tin,
  coalesce(i.in_degree, 0) AS in_degree, coalesce(o.out_degree, 0) AS out_degree,
  coalesce(i.in_value, 0) AS in_value, coalesce(o.out_value, 0) AS out_value,
  coalesce(i.in_invoices, 0) AS in_invoices, coalesce(o.out_invoices, 0) AS out_invoices,
  CASE WHEN greatest(coalesce(i.in_value, 0), coalesce(o.out_value, 0)) > 0
       THEN least(coalesce(i.in_value, 0), coalesce(o.out_value, 0))
            / greatest(coalesce(i.in_value, 0), coalesce(o.out_value, 0)) ELSE 0 END AS pass_through_ratio,
  coalesce(i.in_value, 0) / nullif(o.out_value, 0) AS input_output_ratio,
  l.pass_lag_days, g.goods_change_share, r.abnormal_new_input_share,
  x.max_pair_day_invoices, s.staff, p.kwh, mo.out_months,
  coalesce(s.staff, 0) / nullif(o.out_value / mo.out_months / 1e6, 0) AS staff_per_m_output,
  coalesce(p.kwh, 0) / nullif(o.out_value / mo.out_months / 1e4, 0) AS kwh_per_10k_output
FROM nodes n
LEFT JOIN ins i ON i.tin = n.tin LEFT JOIN outs o ON o.tin = n.tin LEFT JOIN lag l ON l.tin = n.tin
LEFT JOIN goods g ON g.tin = n.tin LEFT JOIN risky_in r ON r.tin = n.tin
LEFT JOIN split x ON x.tin = n.tin LEFT JOIN months mo ON mo.tin = n.tin
LEFT JOIN staff s ON s.tin = n.tin LEFT JOIN power p ON p.tin = n.tin
"""


def build_base(
    backend: AnalyticsBackend, window: Window, new_days: int = 180, step: Callable[[str], None] | None = None
) -> tuple[int, int]:
    """Materialise ``network_flows``, ``_goods``, ``_edges``, ``_period`` and ``_base``; returns (edges, firms)."""
    note = step or (lambda _msg: None)
    if not backend.has_table("invoices"):
        raise ValueError("table invoices is absent from the warehouse: load data first / 请先加载发票数据")
    backend.materialize("network_flows", flows_sql(window))
    backend.materialize("network_goods", goods_sql(window))
    note("daily trading graph done / 日交易图完成")
    n_edges = backend.materialize("network_edges", edges_sql())
    backend.materialize("network_period", period_sql())
    note("edges and per-period features done / 边与分期特征完成")
    n_firms = backend.materialize("network_base", base_features_sql(backend, window, new_days))
    return n_edges, n_firms
