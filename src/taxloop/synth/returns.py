"""Monthly declarations and third-party monthly feeds derived from a month of trade: VAT, IIT, social
insurance, utilities, payments — with the planted window schemes applied."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from taxloop.synth.calendar import Calendar, next_workday
from taxloop.synth.invoices import MonthTrade
from taxloop.synth.params import INDUSTRIES, SynthParams
from taxloop.synth.population import PERSON, Population
from taxloop.synth.schemes import SchemePlan
from taxloop.synth.tables import cents_of, const, date_array, money


@dataclass
class MonthReturns:
    """Tables of one month and the per-entity figures later aggregated into annual returns."""

    tables: dict[str, pa.Table]
    declared: np.ndarray
    payroll: np.ndarray
    evaded: np.ndarray  # tax evaded this month through the planted window schemes


def month_returns(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan, m: int,
                  trade: MonthTrade, tins: pa.Array) -> MonthReturns:
    """VAT returns, IIT withholding, social insurance, utilities and payments of month ``m``."""
    rng = params.rng(200, m)
    n = pop.n
    period = cal.period(m)
    due = int(next_workday(np.array([cal.first_day[m + 1] + 14]))[0])
    active = pop.active(m) & (pop.kind != PERSON)
    role = plan.role
    # --- VAT
    uninvoiced = trade.revenue * (1 - pop.coverage) * rng.uniform(0.9, 1.1, n)
    declared = np.maximum(trade.sales, 0) * rng.uniform(1.0, 1.04, n) + uninvoiced
    timing_u = rng.random(n)
    declared = np.where(timing_u < 0.02, np.maximum(trade.sales, 0) * rng.uniform(0.85, 1.0, n), declared)
    declared = np.where(timing_u > 0.995, np.maximum(trade.sales, 0) * rng.uniform(0.6, 0.85, n), declared)
    honest = cents_of(declared)
    under = plan.in_window("under_reported_sales", m)
    declared = np.where(under, np.maximum(trade.sales, 0) * plan.ratio * rng.uniform(0.95, 1.05, n), declared)
    declared = np.where(plan.in_window("zero_declaration_trading", m), 0.0, declared)
    declared = np.where(role == 1, np.maximum(trade.sales, 0), declared)
    declared = cents_of(declared)
    files = active & ~plan.in_window("non_filer", m)
    rate = np.where(pop.general, np.array([i.rate for i in INDUSTRIES])[pop.industry], 0.03)
    out_tax = cents_of(declared * rate)
    in_tax = np.where(pop.general, cents_of(np.maximum(trade.input_tax, 0.0)), 0.0)
    payable = np.maximum(out_tax - in_tax, 0.0)
    honest_payable = np.maximum(cents_of(honest * rate) - in_tax, 0.0)
    evaded = np.where(active & (role == 0), np.maximum(honest_payable - np.where(files, payable, 0.0), 0.0), 0.0)
    idx = np.flatnonzero(files)
    late = rng.random(len(idx)) < 0.03
    filed = cal.first_day[m + 1] + np.where(late, rng.integers(15, 25, len(idx)), rng.integers(0, 15, len(idx)))
    exempt = np.where(rng.random(len(idx)) < 0.05, cents_of(declared[idx] * rng.uniform(0, 0.1, len(idx))), 0.0)
    t_idx = pa.array(idx)
    tables = {"vat_returns": pa.table({
        "tin": tins.take(t_idx), "period": const(period, len(idx)), "filed_on": date_array(filed),
        "sales": money(declared[idx]), "exempt_sales": money(exempt), "output_tax": money(out_tax[idx]),
        "input_tax": money(in_tax[idx]), "tax_payable": money(payable[idx]),
    })}
    # --- payroll: IIT and social insurance
    bonus = 1.6 if cal.calendar_month[m] == 0 else 1.0
    emp = np.where(active, np.maximum(0, pop.employees + rng.integers(-1, 2, n)), 0)
    emp = np.where(pop.employees <= 2, np.where(active, pop.employees, 0), np.maximum(emp, 1))
    payroll = cents_of(emp * pop.wage * bonus * rng.uniform(0.97, 1.03, n))
    insured = np.maximum(emp - (rng.random(n) < 0.2), 0)
    base = cents_of(payroll / bonus / rng.uniform(1.05, 1.6, n))
    odd = rng.random(n) < 0.02
    base = np.where(odd, cents_of(payroll / bonus / rng.uniform(0.9, 1.05, n)), base)
    pu = plan.in_window("payroll_under_withholding", m)
    honest_payroll = payroll
    payroll = np.where(pu, cents_of(base * plan.ratio * rng.uniform(0.95, 1.05, n)), payroll)
    emp = np.where(pu, np.maximum(1, np.round(insured * rng.uniform(0.4, 0.7, n))).astype(np.int64), emp)
    avg = np.maximum(payroll / np.maximum(emp, 1), 1.0)
    withheld = cents_of(payroll * np.clip((avg - 5000) / avg * 0.08, 0, 0.2))
    honest_avg = np.maximum(honest_payroll / np.maximum(pop.employees, 1), 1.0)
    evaded += np.where(pu, np.maximum(honest_payroll * np.clip((honest_avg - 5000) / honest_avg * 0.08, 0, 0.2)
                                      - withheld, 0.0), 0.0)
    employer = np.flatnonzero(active & (emp > 0))
    t_emp = pa.array(employer)
    tables["iit_withholding"] = pa.table({
        "tin": tins.take(t_emp), "period": const(period, len(employer)), "employees": pa.array(emp[employer]),
        "payroll": money(payroll[employer]), "tax_withheld": money(withheld[employer]),
    })
    insured_idx = np.flatnonzero(active & (insured > 0))
    tables["social_insurance"] = pa.table({
        "tin": tins.take(pa.array(insured_idx)), "period": const(period, len(insured_idx)),
        "insured_employees": pa.array(insured[insured_idx]), "contribution_base": money(base[insured_idx]),
        "provider": const("HRSS", len(insured_idx)),
        "delivered_on": date_array(cal.first_day[m + 1] + rng.integers(5, 40, len(insured_idx))),
    })
    # --- utilities
    kwh_rate = np.array([i.kwh_per_yuan for i in INDUSTRIES])[pop.industry]
    kwh = trade.revenue * kwh_rate * rng.lognormal(0, 0.2, n) + rng.uniform(30, 200, n)
    kwh = np.where(np.isin(role, (1, 2)), rng.uniform(30, 400, n), kwh)
    used = np.flatnonzero(active)
    tables["utilities"] = pa.table({
        "tin": tins.take(pa.array(used)), "period": const(period, len(used)), "kwh": money(kwh[used]),
        "water_m3": money(kwh[used] * rng.uniform(0.03, 0.2, len(used))),
        "provider": const("POWER", len(used)),
        "delivered_on": date_array(cal.first_day[m + 1] + rng.integers(3, 30, len(used))),
    })
    # --- payments (VAT and IIT)
    paid_share = np.ones(n)
    arrears = plan.in_window("arrears", m)
    paid_share = np.where(arrears, plan.ratio * rng.uniform(0.8, 1.0, n), paid_share)
    paid_share = np.where(role == 1, rng.uniform(0.0, 0.1, n), paid_share)
    pay_late = rng.random(n) < 0.03
    vat_due = payable[idx]
    vat_paid = cents_of(vat_due * paid_share[idx])
    evaded[idx] += np.where(arrears[idx], vat_due - vat_paid, 0.0)
    paid_day = np.where(pay_late[idx], due + rng.integers(1, 21, len(idx)), np.minimum(filed, due))
    paid_day = np.where(vat_paid > 0, paid_day, -1)
    iit_paid_day = np.where(pay_late[employer], due + rng.integers(1, 21, len(employer)), due - 3)
    tables["payments"] = pa.table({
        "tin": pa.concat_arrays([tins.take(t_idx), tins.take(t_emp)]),
        "tax_type": pa.concat_arrays([const("vat", len(idx)), const("iit", len(employer))]),
        "period": const(period, len(idx) + len(employer)),
        "due_on": date_array(np.full(len(idx) + len(employer), due)),
        "amount_due": money(np.concatenate([vat_due, withheld[employer]])),
        "amount_paid": money(np.concatenate([vat_paid, withheld[employer]])),
        "paid_on": date_array(np.concatenate([paid_day, iit_paid_day])),
    })
    return MonthReturns(tables, np.where(files, declared, 0.0), np.where(active, payroll, 0.0), evaded)
