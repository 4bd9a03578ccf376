"""Annual corporate income tax returns and the asset feeds: land parcels, property transfers, their returns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from taxloop.synth import names
from taxloop.synth.calendar import Calendar
from taxloop.synth.params import LAND_RATES, REGIONS, TECH, SynthParams
from taxloop.synth.population import ENTERPRISE, PERSON, Population
from taxloop.synth.schemes import SchemePlan
from taxloop.synth.tables import cents_of, const, date_array, money


def cit_returns(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan, declared: np.ndarray,
                purchases: np.ndarray, payroll: np.ndarray, tins_at: list[pa.Array]) -> tuple[pa.Table, np.ndarray]:
    """One CIT return per enterprise and full calendar year (revenue = the year's declared VAT sales).

    Returns the table and the tax evaded per entity through inflated costs and R&D abuse.
    """
    rng = params.rng(300)
    parts = []
    evaded = np.zeros(pop.n)
    for year, m0 in cal.full_years():
        n = pop.n
        rev = declared[:, m0:m0 + 12].sum(axis=1)
        pur = np.maximum(purchases[:, m0:m0 + 12].sum(axis=1), 0.0)
        pay = payroll[:, m0:m0 + 12].sum(axis=1)
        cost = pur * rng.uniform(0.95, 1.10, n) + 0.3 * pay
        inflated = (plan.scheme == "inflated_costs")
        honest_cost = cost
        expenses = 0.7 * pay + rev * rng.uniform(0.03, 0.08, n)
        wipe_out = honest_cost + np.maximum(rev - honest_cost - expenses, 0) * rng.uniform(0.8, 1.1, n)
        cost = np.where(inflated, np.maximum(pur * plan.ratio + 0.3 * pay, wipe_out), cost)
        claims = TECH[pop.industry] & (rng.random(n) < 0.25)
        rnd = np.where(claims, np.minimum(rev * rng.uniform(0.02, 0.08, n), expenses * 0.9), 0.0)
        abuse = plan.scheme == "rnd_abuse"
        rnd = np.where(abuse, rev * plan.ratio, rnd)
        expenses = np.where(abuse, np.minimum(expenses, rnd * rng.uniform(0.5, 0.9, n)), expenses)
        cost, expenses, rnd, rev = cents_of(cost), cents_of(expenses), cents_of(rnd), cents_of(rev)
        profit = cents_of(rev - cost - expenses)
        taxable = cents_of(profit - rnd)
        tax = cents_of(np.maximum(taxable, 0) * np.where(taxable < 3e6, 0.05, 0.25))
        evaded += np.where(inflated, np.maximum(cost - honest_cost, 0) * 0.25, 0.0)
        evaded += np.where(abuse, rnd * 0.25, 0.0)
        files = (pop.kind == ENTERPRISE) & (pop.start_month < m0 + 12) & (pop.end_month >= m0 + 12) & (rev > 0)
        idx = np.flatnonzero(files)
        filed = cal.first_day[m0 + 12] + rng.integers(30, 150, len(idx))
        parts.append(pa.table({
            "tin": tins_at[min(m0 + 11, params.months - 1)].take(pa.array(idx)),
            "year": pa.array(np.full(len(idx), year, dtype=np.int64)),
            "filed_on": date_array(filed), "revenue": money(rev[idx]), "cost": money(cost[idx]),
            "expenses": money(expenses[idx]), "profit": money(profit[idx]), "taxable_income": money(taxable[idx]),
            "tax_payable": money(tax[idx]), "rnd_deduction": money(np.where(rnd[idx] > 0, rnd[idx], np.nan)),
            "inventory_end": money(cents_of(rev[idx] * rng.uniform(0.03, 0.2, len(idx)))),
        }))
    return pa.concat_tables(parts), evaded


def land_tables(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan,
                tins_last: pa.Array) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """``land_parcels`` (NRD) and the land-use / property ``other_returns``; returns evaded tax per entity."""
    rng = params.rng(301)
    n = pop.n
    manuf = np.isin(pop.industry, (0, 1, 2))
    holds = (pop.kind == ENTERPRISE) & (rng.random(n) < np.where(manuf, 0.3, 0.06))
    holds |= plan.scheme == "land_use_evasion"
    holds &= plan.role == 0
    holders = np.flatnonzero(holds)
    k = rng.integers(1, 4, len(holders))
    owner = np.repeat(holders, k)
    area = cents_of(np.exp(rng.normal(np.log(3000), 1.0, len(owner))))
    grade = rng.integers(1, 7, len(owner))
    held_from = cal.first_day[0] - rng.integers(100, 5000, len(owner))
    parcel_id = pc.binary_join_element_wise("P", names.digits(np.arange(len(owner)) + 1, 9), "")
    parcels = pa.table({
        "parcel_id": parcel_id, "holder_id": tins_last.take(pa.array(owner)), "area_m2": money(area),
        "grade": pa.array(grade.astype(np.int64)), "held_from": date_array(held_from),
        "held_to": date_array(np.full(len(owner), -1)), "provider": const("NRD", len(owner)),
        "delivered_on": date_array(np.full(len(owner), cal.first_day[params.months])),
    })
    yearly_tax = np.bincount(owner, weights=area * LAND_RATES[grade], minlength=n)
    total_area = np.bincount(owner, weights=area, minlength=n)
    evader = plan.scheme == "land_use_evasion"
    silent = evader & (rng.random(n) < 0.5)
    declare_share = np.where(evader, plan.ratio, 1.0)
    rows = []
    evaded = np.zeros(n)
    for h in range(params.months // 6):
        m0 = h * 6
        who = np.flatnonzero(holds & ~silent & pop.active(m0))
        base = cents_of(total_area[who] * declare_share[who])
        tax = cents_of(yearly_tax[who] * declare_share[who] / 2)
        evaded += np.where(evader, yearly_tax / 2, 0.0) - np.bincount(who, weights=tax, minlength=n) * evader
        ps, pe = cal.first_day[m0], cal.first_day[m0 + 6] - 1
        filed = cal.first_day[m0] + rng.integers(0, 30, len(who))
        rows.append(_other(tins_last.take(pa.array(who)), "land_use", ps, pe, filed, base, tax))
        value = cents_of(total_area[who] * 4000)
        rows.append(_other(tins_last.take(pa.array(who)), "property", ps, pe, filed,
                           cents_of(value * 0.7), cents_of(value * 0.7 * 0.012 / 2)))
    return parcels, pa.concat_tables(rows), evaded


def property_tables(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan,
                    tins_last: pa.Array) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """``property_transfers`` (REG) and their deed / land-VAT / stamp returns; evaded tax per seller."""
    rng = params.rng(302)
    n, months = pop.n, params.months
    under = plan.members("property_under_declared")
    firms = np.flatnonzero((pop.kind == ENTERPRISE) & (plan.role == 0) & (plan.scheme != "property_under_declared"))
    persons = np.flatnonzero(pop.kind == PERSON)
    n_normal = max(500, round(n * 0.08 * months / 12))
    seller = np.concatenate([rng.choice(np.concatenate([firms, persons]), n_normal), np.repeat(under, 3)])
    k = len(seller)
    buyer = np.where(rng.random(k) < 0.6, rng.choice(persons, k), rng.choice(firms, k))
    region = pop.region[seller]
    price_m2 = np.array([r[5] for r in REGIONS])[region]
    area = cents_of(rng.uniform(60, 600, k) * np.where(pop.kind[seller] == ENTERPRISE, 2.0, 1.0))
    ratio = rng.lognormal(0, 0.12, k)
    ratio = np.where(rng.random(k) < 0.03, rng.uniform(0.75, 0.85, k), ratio)
    planted = np.arange(k) >= n_normal
    ratio = np.where(planted, plan.ratio[seller] * rng.uniform(0.95, 1.05, k), ratio)
    market = area * price_m2
    price = cents_of(market * ratio)
    day = cal.first_day[0] + rng.integers(0, months * 30, k)
    pid = pc.binary_join_element_wise("H", names.digits(rng.permutation(k) + 1, 9), "")
    transfers = pa.table({
        "property_id": pid, "seller_id": tins_last.take(pa.array(seller)),
        "buyer_id": tins_last.take(pa.array(buyer)), "contract_on": date_array(day), "price": money(price),
        "area_m2": money(area), "region_code": pa.array([r[0] for r in REGIONS]).take(pa.array(region)),
        "provider": const("REG", k), "delivered_on": date_array(day + rng.integers(5, 60, k)),
    })
    firm_seller = pop.kind[seller] == ENTERPRISE
    rows = [
        _other(tins_last.take(pa.array(buyer)), "deed", day, day, day + 10, price, cents_of(price * 0.03)),
        _other(tins_last.take(pa.array(seller[firm_seller])), "land_vat", day[firm_seller], day[firm_seller],
               day[firm_seller] + 15, price[firm_seller], cents_of(price[firm_seller] * 0.05)),
        _other(tins_last.take(pa.array(seller[firm_seller])), "stamp", day[firm_seller], day[firm_seller],
               day[firm_seller] + 15, price[firm_seller], cents_of(price[firm_seller] * 0.0005)),
    ]
    evaded = np.bincount(seller[planted], weights=(market - price)[planted] * 0.0505, minlength=n)
    return transfers, pa.concat_tables(rows), evaded


def _other(tin: pa.Array, tax_type: str, start: np.ndarray | int, end: np.ndarray | int, filed: np.ndarray,
           base: np.ndarray, tax: np.ndarray) -> pa.Table:
    k = len(tin)
    return pa.table({
        "tin": tin, "tax_type": const(tax_type, k), "period_start": date_array(np.broadcast_to(start, k)),
        "period_end": date_array(np.broadcast_to(end, k)), "filed_on": date_array(filed),
        "base": money(base), "tax_payable": money(tax),
    })
