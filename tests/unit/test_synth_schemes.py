"""Each planted taxpayer scheme is visible in the tables the way docs/synth.md says, and rare among clean firms."""

from __future__ import annotations

import duckdb
import pytest
from synth_city import connect, rows, small_city

MONTHLY = """
with inv as (select seller_tin tin, strftime(issued_on, '%Y-%m') period, sum(amount) inv_sales
             from invoices where status <> 'void' group by all)
"""

#: scheme -> SQL returning the tins for which the documented signal holds
RULES: dict[str, str] = {
    "under_reported_sales": MONTHLY + """
        select i.tin from inv i join vat_returns v using (tin, period)
        where i.inv_sales > 0 and v.sales < 0.75 * i.inv_sales group by 1 having count(*) >= 4""",
    "zero_declaration_trading": MONTHLY + """
        select i.tin from inv i join vat_returns v using (tin, period)
        where i.inv_sales > 0 and v.sales = 0 group by 1 having count(*) >= 4""",
    "non_filer": MONTHLY + """
        select i.tin from inv i anti join vat_returns v using (tin, period)
        where i.inv_sales > 0 group by 1 having count(*) >= 4""",
    "payroll_under_withholding": """
        select i.tin from iit_withholding i join social_insurance s using (tin, period)
        where i.payroll < 0.8 * s.contribution_base group by 1 having count(*) >= 4""",
    "arrears": """
        select tin from payments where tax_type = 'vat' and amount_due > 0 and amount_paid < 0.6 * amount_due
        group by 1 having count(*) >= 3""",
    "inflated_costs": """
        with pur as (select buyer_tin tin, year(issued_on) y, sum(amount) p from invoices
                     where status <> 'void' and buyer_tin is not null group by all),
        pay as (select tin, left(period, 4)::int y, sum(payroll) w from iit_withholding group by all)
        select c.tin from cit_returns c left join pur on pur.tin = c.tin and pur.y = c.year
        left join pay on pay.tin = c.tin and pay.y = c.year
        where c.cost > 1.3 * (coalesce(pur.p, 0) + 0.3 * coalesce(pay.w, 0)) + 1e5 group by 1""",
    "rnd_abuse": "select tin from cit_returns where rnd_deduction > expenses or rnd_deduction > 0.1 * revenue",
    "land_use_evasion": """
        with held as (select holder_id tin, sum(area_m2) area from land_parcels group by 1),
        decl as (select tin, max(base) base from other_returns where tax_type = 'land_use' group by 1)
        select h.tin from held h left join decl d using (tin) where coalesce(d.base, 0) < 0.7 * h.area""",
    "property_under_declared": """
        with p as (select *, price / area_m2 ppm, median(price / area_m2) over (partition by region_code) med
                   from property_transfers)
        select seller_id from p where ppm < 0.7 * med group by 1 having count(*) >= 2""",
    "fake_invoicing_source": """
        select seller_tin from invoices i where kind = 'special' group by 1
        having sum(amount) > 1e5 and seller_tin not in (select buyer_tin from invoices where buyer_tin is not null)
        and seller_tin not in (select tin from iit_withholding where employees > 1)""",
}


def _planted(con: duckdb.DuckDBPyConnection, scheme: str) -> set[str]:
    return {r[0] for r in rows(con, f"select tin from truth_taxpayer_schemes where scheme = '{scheme}'")}


@pytest.mark.parametrize("scheme", sorted(RULES))
def test_scheme_detectable_but_rare_among_clean_firms(scheme: str) -> None:
    con = connect(small_city())
    planted = _planted(con, scheme)
    flagged = {r[0] for r in rows(con, RULES[scheme])}
    active = {r[0] for r in rows(con, "select distinct tin from taxpayers")}
    all_planted = {r[0] for r in rows(con, "select tin from truth_taxpayer_schemes")}
    clean = active - all_planted
    recall = len(planted & flagged) / len(planted)
    false_rate = len(clean & flagged) / len(clean)
    assert planted, scheme
    assert recall >= 0.8, f"{scheme}: recall {recall:.2f} of {len(planted)}"
    assert false_rate < 0.02, f"{scheme}: {false_rate:.3f} of clean firms flagged"


def test_gang_invoice_chain_and_shared_people() -> None:
    con = connect(small_city())
    chain = rows(con, """
        with g as (select * from truth_gangs)
        select s.gang_id, count(*) from invoices a join invoices b on a.buyer_tin = b.seller_tin
        join g s on s.tin = a.seller_tin and s.role = 'source'
        join g p on p.tin = a.buyer_tin and p.role = 'pass_through' and p.gang_id = s.gang_id
        join g r on r.tin = b.buyer_tin and r.role = 'recipient' and r.gang_id = s.gang_id
        where b.issued_on between a.issued_on + 1 and a.issued_on + 7 and a.goods_code <> b.goods_code
        group by 1""")
    gangs = rows(con, "select count(distinct gang_id) from truth_gangs")[0][0]
    assert len(chain) == gangs
    shared = rows(con, """
        select count(distinct g.gang_id) from truth_gangs g join taxpayers t using (tin)
        where g.role <> 'recipient' and (t.legal_rep_id in (select legal_rep_id from taxpayers t2 join truth_gangs g2
              using (tin) where g2.gang_id = g.gang_id and t2.tin <> t.tin)
           or t.finance_officer_id in (select finance_officer_id from taxpayers t3 join truth_gangs g3 using (tin)
              where g3.gang_id = g.gang_id and t3.tin <> t.tin))""")
    assert shared[0][0] == gangs
    rep_change = rows(con, """
        with first_sale as (select seller_tin tin, min(issued_on) d from invoices group by 1)
        select count(*), count(*) filter (where f.d - c.changed_on between 20 and 70)
        from truth_gangs g join taxpayer_changes c on c.tin = g.tin and c.field = 'legal_rep_id'
        join first_sale f on f.tin = g.tin where g.role = 'source'""")
    assert rep_change[0][0] > 0 and rep_change[0][1] == rep_change[0][0]


def test_recipients_input_tax_jumps() -> None:
    con = connect(small_city())
    got = rows(con, """
        with r as (select tin from truth_gangs where role = 'recipient'),
        m as (select v.tin, v.input_tax, median(v.input_tax) over (partition by v.tin) med from vat_returns v
              join r using (tin))
        select count(distinct tin) filter (where input_tax > 1.25 * med), count(distinct tin) from m""")
    assert got[0][0] >= 0.8 * got[0][1]


def test_audit_outcomes_follow_truth() -> None:
    con = connect(small_city())
    stats = rows(con, """
        select s.tin is not null planted, avg((a.finding <> 'no_issue')::int), count(*)
        from audit_outcomes a left join (select distinct tin from truth_taxpayer_schemes) s using (tin)
        group by 1 order by 1""")
    clean, planted = stats
    assert planted[1] > 0.7 and clean[1] < 0.15
    mix = {r[0] for r in rows(con, "select distinct selection from audit_outcomes")}
    assert {"indicator", "random", "tip_off"} <= mix


def test_duplicate_registrations() -> None:
    con = connect(small_city())
    multi = rows(con, "select count(*) from (select true_entity_id from truth_entities group by 1 having count(*) > 1)")
    entities = rows(con, "select count(distinct true_entity_id) from truth_entities")[0][0]
    assert 0.03 <= multi[0][0] / entities <= 0.05
    switch = rows(con, """
        select count(*), count(*) filter (where (select max(issued_on) from invoices i where i.seller_tin = c.old_value)
                                           <= c.changed_on + 31)
        from taxpayer_changes c where field = 'tin'""")
    assert switch[0][0] > 0 and switch[0][1] == switch[0][0]
