"""Roles of firms in fake-invoicing schemes, decided in SQL on ``network_base`` and ``network_cycles``.

- ``source``: large output (at least ``min_value``), almost no inputs (inputs/outputs at most
  ``source_max_input_ratio``), few staff and little power for its output (staff per million yuan
  and kWh per 10,000 yuan of monthly output at most ``max_staff_share_of_median`` and
  ``max_kwh_share_of_median`` of the median firm's); a firm without staff or power rows has none.
- ``pass_through``: large inputs and outputs that balance (``pass_through_ratio`` at least
  ``pass_min_ratio``), no production capacity (few staff and little power for its output, where such data exist)
  and at least ``pass_min_signals`` of: short lag from input to output, goods
  codes changed between inputs and outputs, inputs from abnormal or new firms, no real staff
  (only when staff data exist), membership in a short cycle, split invoicing (at least
  ``split_min_invoices`` invoices with one partner on one day).
- Without staff (power) data in the warehouse, the staff (power) conditions are left out.
- ``recipient``: at least ``recipient_min_share`` of its input value, or at least
  ``recipient_min_value`` yuan, from sources and pass-through firms.

``min_value`` defaults to the ``min_value_quantile`` quantile of the output value of the firms that
sell: every threshold is relative to the data, so the rules fit a small district and a province.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLE_LABELS = {
    "source": ("source (issues fake invoices)", "虚开源头"),
    "pass_through": ("pass-through", "过票企业"),
    "recipient": ("recipient (receives fake invoices)", "受票企业"),
}


@dataclass
class RoleOptions:
    """Thresholds of the role rules."""

    min_value: float | None = None
    min_value_quantile: float = 0.25
    source_max_input_ratio: float = 0.2
    max_staff_share_of_median: float = 0.3
    max_kwh_share_of_median: float = 0.25
    pass_min_ratio: float = 0.7
    pass_max_lag_days: float = 10.0
    pass_min_goods_change: float = 0.5
    pass_min_abnormal_share: float = 0.3
    pass_min_signals: int = 2
    recipient_min_share: float = 0.3
    recipient_min_value: float = 100_000.0
    split_min_invoices: int = 3
    staff_known: bool = True
    power_known: bool = True


def _min_value_sql(options: RoleOptions) -> str:
    if options.min_value is not None:
        return repr(float(options.min_value))
    q = float(options.min_value_quantile)
    return f"(SELECT coalesce(quantile_cont(out_value, {q}), 0) FROM network_base WHERE out_value > 0)"


def roles_sql(options: RoleOptions) -> str:
    """SQL for ``network_features`` without gangs: base features, cycles, signals, role, evidence."""
    o = options
    mv = _min_value_sql(o)
    low_staff = "coalesce(b.staff_per_m_output, 0) <= mv.staff_cap" if o.staff_known else "TRUE"
    low_power = "coalesce(b.kwh_per_10k_output, 0) <= mv.kwh_cap" if o.power_known else "TRUE"
    staff_signal = low_staff if o.staff_known else "FALSE"
    known = [c for c, k in ((low_staff, o.staff_known), (low_power, o.power_known)) if k]
    no_capacity = "(" + " AND ".join(known) + ")" if known else "TRUE"
    recipient = (
        f"(coalesce(fi.flagged_input_value, 0) / nullif(f.in_value, 0) >= {o.recipient_min_share}"
        f" OR coalesce(fi.flagged_input_value, 0) >= {o.recipient_min_value})"
    )
    split = f"coalesce(b.max_pair_day_invoices, 0) >= {int(o.split_min_invoices)}"
    signals = (
        f"(CASE WHEN b.pass_lag_days <= {o.pass_max_lag_days} THEN 1 ELSE 0 END"
        f" + CASE WHEN b.goods_change_share >= {o.pass_min_goods_change} THEN 1 ELSE 0 END"
        f" + CASE WHEN b.abnormal_new_input_share >= {o.pass_min_abnormal_share} THEN 1 ELSE 0 END"
        f" + CASE WHEN {staff_signal} THEN 1 ELSE 0 END"
        f" + CASE WHEN {split} THEN 1 ELSE 0 END"
        " + CASE WHEN coalesce(c.cycle_count, 0) > 0 THEN 1 ELSE 0 END)"
    )
    return f"""
WITH mv AS (
  SELECT {mv} AS v,
    {o.max_staff_share_of_median} * (SELECT median(staff_per_m_output) FROM network_base WHERE out_value > 0)
      AS staff_cap,
    {o.max_kwh_share_of_median} * (SELECT median(kwh_per_10k_output) FROM network_base WHERE out_value > 0) AS kwh_cap
),
first AS (
  SELECT b.*, coalesce(c.cycle_count, 0) AS cycle_count, c.cycle_example,
    coalesce(c.cycle_count, 0) > 0 AS in_cycle, {split} AS split_invoicing, {signals} AS pass_signals,
    CASE
      WHEN b.out_value >= mv.v AND coalesce(b.input_output_ratio, 0) <= {o.source_max_input_ratio}
           AND {low_staff} AND {low_power} THEN 'source'
      WHEN b.in_value >= mv.v AND b.out_value >= mv.v AND b.pass_through_ratio >= {o.pass_min_ratio}
           AND {no_capacity} AND {signals} >= {o.pass_min_signals} THEN 'pass_through'
    END AS role1
  FROM network_base b CROSS JOIN mv LEFT JOIN network_cycles c ON c.tin = b.tin
),
flagged_in AS (
  SELECT e.buyer_tin AS tin, sum(e.value) AS flagged_input_value
  FROM network_edges e JOIN first f ON f.tin = e.seller_tin AND f.role1 IS NOT NULL GROUP BY 1
)
SELECT f.* EXCLUDE (role1),
  coalesce(fi.flagged_input_value, 0) AS flagged_input_value,
  coalesce(fi.flagged_input_value, 0) / nullif(f.in_value, 0) AS flagged_input_share,
  coalesce(f.role1, CASE WHEN {recipient} THEN 'recipient' END) AS role,
  concat_ws('; ',
    CASE WHEN f.role1 = 'source' THEN printf('output %.0f with inputs %.0f; staff %s; kWh %s', f.out_value,
         f.in_value, coalesce(CAST(round(f.staff, 1) AS VARCHAR), 'none'),
         coalesce(CAST(round(f.kwh) AS VARCHAR), 'none')) END,
    CASE WHEN f.role1 = 'pass_through' THEN printf('in %.0f / out %.0f (ratio %.2f); lag %s days; goods changed %s',
         f.in_value, f.out_value, f.pass_through_ratio, coalesce(CAST(f.pass_lag_days AS VARCHAR), '?'),
         coalesce(CAST(round(f.goods_change_share, 2) AS VARCHAR), '?')) END,
    CASE WHEN f.role1 IS NULL AND {recipient}
         THEN printf('%.0f%% of inputs (%.0f) from sources/pass-through firms',
              100 * fi.flagged_input_value / f.in_value, fi.flagged_input_value) END,
    CASE WHEN f.in_cycle THEN printf('in %d short cycle(s): %s', f.cycle_count, f.cycle_example) END,
    CASE WHEN f.split_invoicing THEN printf('%d invoices with one partner on one day', f.max_pair_day_invoices) END
  ) AS evidence
FROM first f LEFT JOIN flagged_in fi ON fi.tin = f.tin
"""
