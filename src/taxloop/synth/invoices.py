"""Monthly VAT invoices, vectorised: ordinary trade along the supply chain plus the gangs' fake-invoice flows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from taxloop.synth.calendar import Calendar
from taxloop.synth.params import FAKE_GOODS, INDUSTRIES, SynthParams, supply_matrix
from taxloop.synth.population import PERSON, Population, monthly_revenue
from taxloop.synth.schemes import SchemePlan
from taxloop.synth.tables import ascii_ids, cents_of, date_array, money

RELABEL_GOODS = ("1040201990000000000", "1030107990000000000", "1060101990000000000")
N_REGULAR = 4


@dataclass
class MonthTrade:
    """What one month of invoices adds up to, per entity (valid and red invoices; void ones excluded)."""

    revenue: np.ndarray  # true sales of the month
    sales: np.ndarray  # invoiced sales (seller side)
    output_tax: np.ndarray
    purchases: np.ndarray  # invoiced purchases (buyer side, all kinds)
    input_tax: np.ndarray  # tax on special invoices received
    fake_tax: np.ndarray  # gangs: tax on fake invoices issued (sources, pass-throughs) or credited (recipients)
    table: pa.Table


class InvoiceMaker:
    """Draws each month's invoices; buyer choice follows the supply chain and regular customers."""

    def __init__(self, params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan) -> None:
        self.params, self.cal, self.pop, self.plan = params, cal, pop, plan
        self.supply_cum = np.cumsum(supply_matrix(), axis=1)
        self.supply_cum[:, -1] = 1.0
        cost = np.array([i.cost_ratio for i in INDUSTRIES])[pop.industry]
        self.demand = np.where((pop.kind == PERSON) | np.isin(plan.role, (1, 2)), 0.0, pop.revenue * cost)
        self.order = np.argsort(pop.industry, kind="stable")
        all_codes = [g for i in INDUSTRIES for g in i.goods] + list(FAKE_GOODS) + list(RELABEL_GOODS)
        self.goods_codes = sorted(set(all_codes))
        self.goods_map = np.array([self.goods_codes.index(g) for g in all_codes])
        self.goods_count = np.array([len(i.goods) for i in INDUSTRIES])
        self.goods_offset = np.concatenate([[0], np.cumsum(self.goods_count)[:-1]])
        self.fake_offset = len(all_codes) - len(FAKE_GOODS) - len(RELABEL_GOODS)
        self.rate = np.array([i.rate for i in INDUSTRIES])
        self.b2b = np.array([i.b2b for i in INDUSTRIES])
        rng = params.rng(6)
        self.regular = self._draw_buyers(rng, np.repeat(pop.industry, N_REGULAR), np.ones(pop.n, bool))
        self.regular = self.regular.reshape(pop.n, N_REGULAR)

    def _draw_buyers(self, rng: np.random.Generator, seller_ind: np.ndarray, active: np.ndarray) -> np.ndarray:
        u = rng.random(len(seller_ind))
        buyer_ind = (u[:, None] > self.supply_cum[seller_ind]).sum(axis=1)
        w = np.where(active, self.demand, 0.0)[self.order]
        ind_sorted = self.pop.industry[self.order]
        cum = np.cumsum(w)
        starts = np.searchsorted(ind_sorted, np.arange(len(INDUSTRIES)))
        ends = np.searchsorted(ind_sorted, np.arange(len(INDUSTRIES)), side="right")
        lo = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
        hi = cum[np.maximum(ends - 1, 0)]
        target = lo[buyer_ind] + rng.random(len(u)) * (hi[buyer_ind] - lo[buyer_ind])
        pos = np.minimum(np.searchsorted(cum, target, side="right"), len(cum) - 1)
        return np.asarray(self.order[pos])

    def month(self, m: int, tins: pa.Array) -> MonthTrade:
        """All invoices issued in month ``m`` (``tins``: the TIN each entity uses that month)."""
        pop, rng = self.pop, self.params.rng(100, m)
        rev = monthly_revenue(pop, self.cal, m, rng)
        sells = pop.active(m) & (pop.kind != PERSON) & (self.plan.role != 1)
        w = np.where(sells, rev, 0.0) ** 0.6
        lam = w / max(w[sells].mean(), 1e-9) * self.params.invoices_per_firm_month
        counts = rng.poisson(lam)
        seller = np.repeat(np.arange(pop.n), counts)
        k = len(seller)
        per = np.where(counts > 0, rev * pop.coverage / np.maximum(counts, 1), 0.0)
        amount = per[seller] * rng.lognormal(-0.18, 0.6, k)
        ind = pop.industry[seller]
        b2b = rng.random(k) < self.b2b[ind]
        regular = rng.random(k) < 0.7
        buyer = np.where(regular, self.regular[seller, rng.integers(0, N_REGULAR, k)], -1)
        fresh = ~regular | ~pop.active(m)[np.maximum(buyer, 0)] | (buyer == seller)
        buyer[fresh] = self._draw_buyers(rng, ind[fresh], pop.active(m))
        buyer = np.where(b2b & (buyer != seller), buyer, -1)
        has_buyer = buyer >= 0
        gen = pop.general[seller]
        p_special = np.where(gen, np.where(pop.general[np.maximum(buyer, 0)], 0.92, 0.3), 0.05)
        special = has_buyer & (rng.random(k) < p_special)
        rate = np.where(gen, self.rate[ind], 0.03)
        goods = self.goods_offset[ind] + (rng.random(k) * self.goods_count[ind]).astype(np.int64)
        day = self.cal.first_day[m] + rng.integers(0, self.cal.days_in(m), k)
        status_u = rng.random(k)
        status = np.where(status_u < 0.015, 1, np.where(status_u < 0.023, 2, 0))  # 0 valid 1 void 2 red
        amount = np.where(status == 2, -amount * rng.uniform(0.1, 1.0, k), amount)
        g_seller, g_buyer, g_amount, g_goods, g_day = self._gang_flows(m, rng)
        seller = np.concatenate([seller, g_seller])
        buyer = np.concatenate([buyer, g_buyer])
        amount = cents_of(np.concatenate([amount, g_amount]))
        rate = np.concatenate([rate, np.full(len(g_seller), 0.13)])
        special = np.concatenate([special, np.ones(len(g_seller), bool)])
        goods = np.concatenate([goods, g_goods])
        day = np.concatenate([day, g_day])
        status = np.concatenate([status, np.zeros(len(g_seller), np.int64)])
        tax = cents_of(amount * rate)
        counted = status != 1
        eff_amount = np.where(counted, amount, 0.0)
        eff_tax = np.where(counted, tax, 0.0)
        has_buyer = buyer >= 0
        n = pop.n
        fake = np.arange(len(seller)) >= len(seller) - len(g_seller)
        g_tax = np.where(fake, tax, 0.0)
        to_recipient = fake & (self.plan.role[np.maximum(buyer, 0)] == 3)
        fake_tax = np.bincount(seller, weights=g_tax, minlength=n)
        fake_tax += np.bincount(buyer[to_recipient], weights=tax[to_recipient], minlength=n)
        trade = MonthTrade(
            revenue=rev,
            sales=np.bincount(seller, weights=eff_amount, minlength=n),
            output_tax=np.bincount(seller, weights=eff_tax, minlength=n),
            purchases=np.bincount(buyer[has_buyer], weights=eff_amount[has_buyer], minlength=n),
            input_tax=np.bincount(buyer[has_buyer & special], weights=eff_tax[has_buyer & special], minlength=n),
            fake_tax=fake_tax,
            table=pa.table({}),
        )
        order = np.argsort(day, kind="stable")
        total = len(seller)
        inv_id = ascii_ids(self.cal.period(m).replace("-", ""), np.arange(total), 10)
        buyer_tin = tins.take(pa.array(np.maximum(buyer, 0)[order]))
        trade.table = pa.table({
            "invoice_id": inv_id,
            "seller_tin": tins.take(pa.array(seller[order])),
            "buyer_tin": pc.if_else(pa.array(has_buyer[order]), buyer_tin, pa.scalar(None, pa.string())),
            "issued_on": date_array(day[order]),
            "amount": money(amount[order]),
            "tax_amount": money(tax[order]),
            "tax_rate": money(rate[order], precision=4),
            "goods_code": pa.DictionaryArray.from_arrays(pa.array(self.goods_map[goods[order]].astype(np.int32)),
                                                         pa.array(self.goods_codes)),
            "kind": pa.DictionaryArray.from_arrays(pa.array(np.where(special, 0, 1)[order].astype(np.int8)),
                                                   pa.array(["special", "ordinary"])),
            "status": pa.DictionaryArray.from_arrays(pa.array(status[order].astype(np.int8)),
                                                     pa.array(["valid", "void", "red"])),
        })
        return trade

    def _gang_flows(self, m: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Source -> pass-through -> recipient invoices of every gang in its spike (re-invoiced within 1-7 days)."""
        sellers, buyers, amounts, goods, days = [], [], [], [], []
        cost = np.array([i.cost_ratio for i in INDUSTRIES])
        first = self.cal.first_day[m]
        for gang in self.plan.gangs:
            if not gang.spike_start <= m < gang.spike_end:
                continue
            rec = np.repeat(gang.recipients, rng.integers(1, 4, len(gang.recipients)))
            need = self.pop.revenue[rec] / 12 * cost[self.pop.industry[rec]]
            _, inverse, per_rec = np.unique(rec, return_inverse=True, return_counts=True)
            share = rng.uniform(0.3, 0.8, len(rec)) / per_rec[inverse]
            amt = need * share
            pt = gang.pass_through[rng.integers(0, len(gang.pass_through), len(rec))]
            src = gang.sources[rng.integers(0, len(gang.sources), len(rec))]
            d_src = first + rng.integers(0, 20, len(rec))
            d_pt = d_src + rng.integers(1, 8, len(rec))
            markup = rng.uniform(1.02, 1.08, len(rec))
            sellers += [src, pt]
            buyers += [pt, rec]
            amounts += [amt / markup, amt]
            goods += [self.fake_offset + rng.integers(0, len(FAKE_GOODS), len(rec)),
                      self.fake_offset + len(FAKE_GOODS) + rng.integers(0, len(RELABEL_GOODS), len(rec))]
            days += [d_src, d_pt]
        if not sellers:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0), empty, empty
        return (np.concatenate(sellers), np.concatenate(buyers), np.concatenate(amounts), np.concatenate(goods),
                np.concatenate(days))
