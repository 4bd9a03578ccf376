"""Third-party feeds consistent with the firms: market registrations (SAMR) and customs declarations."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from taxloop.synth import names
from taxloop.synth.calendar import Calendar
from taxloop.synth.params import INDUSTRIES, SynthParams
from taxloop.synth.population import PERSON, Population
from taxloop.synth.tables import cents_of, const, date_array, money

HS_CODES = {
    "C3911": ("847130", "847150", "847330"), "C3399": ("732690", "761699"), "C2929": ("392690", "392310"),
    "F5179": ("847130", "392690", "940360", "850440"), "G5430": ("870899",),
}


def market_registrations(params: SynthParams, cal: Calendar, taxpayers: pa.Table) -> pa.Table:
    """One SAMR row per distinct enterprise / individual-business credit code, from the registration records."""
    rng = params.rng(400)
    firms = taxpayers.filter(pc.not_equal(taxpayers["kind"], "natural_person"))
    order = pc.sort_indices(firms, sort_keys=[("tin", "ascending"), ("registered_on", "ascending")])
    firms = firms.take(order)
    tin = firms["tin"].combine_chunks()
    keep = np.ones(len(tin), dtype=bool)
    if len(tin) > 1:
        same = pc.equal(tin.slice(1), tin.slice(0, len(tin) - 1)).to_numpy(zero_copy_only=False)
        keep[1:] = ~same
    firms = firms.filter(pa.array(keep))
    k = firms.num_rows
    status = firms["status"].combine_chunks()
    samr_status = pc.if_else(pc.equal(status, "deregistered"), "cancelled",
                             pc.if_else(pc.equal(status, "abnormal"), "revoked", "active"))
    reg_on = firms["registered_on"].combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
    return pa.table({
        "credit_code": firms["tin"], "name": firms["name"], "legal_rep_id": firms["legal_rep_id"],
        "registered_capital": firms["registered_capital"],
        "established_on": date_array(reg_on.astype(np.int64) - rng.integers(0, 60, k)),
        "status": samr_status, "provider": const("SAMR", k),
        "delivered_on": date_array(np.full(k, cal.first_day[params.months] + 5)),
    })


class CustomsMaker:
    """Monthly customs declarations of the exporting and importing firms."""

    def __init__(self, params: SynthParams, pop: Population) -> None:
        self.params = params
        rng = params.rng(401)
        share = np.array([i.export for i in INDUSTRIES])[pop.industry]
        self.trader = (pop.kind != PERSON) & (rng.random(pop.n) < share * 1.5)
        self.share = share * rng.uniform(0.3, 1.2, pop.n)
        self.hs = [np.array(HS_CODES.get(i.code, ("999999",))) for i in INDUSTRIES]
        self.serial = 0

    def month(self, cal: Calendar, pop: Population, m: int, revenue: np.ndarray, tins: pa.Array) -> pa.Table:
        """Declarations of month ``m`` (1-3 per trading firm, value = export share of the month's sales)."""
        rng = self.params.rng(402, m)
        who = np.flatnonzero(self.trader & (revenue > 0))
        counts = rng.integers(1, 4, len(who))
        firm = np.repeat(who, counts)
        k = len(firm)
        export = rng.random(k) < 0.8
        value = revenue[firm] * self.share[firm] / counts.repeat(counts) * rng.lognormal(0, 0.3, k)
        value = np.where(export, value, value * 0.5)
        hs_all = np.concatenate(self.hs)
        offsets = np.array([0, *np.cumsum([len(h) for h in self.hs])[:-1]])
        lens = np.array([len(h) for h in self.hs])
        ind = pop.industry[firm]
        hs = hs_all[offsets[ind] + (rng.random(k) * lens[ind]).astype(np.int64)]
        day = cal.first_day[m] + rng.integers(0, cal.days_in(m), k)
        ids = pc.binary_join_element_wise("CD", names.digits(np.arange(self.serial, self.serial + k), 12), "")
        self.serial += k
        return pa.table({
            "declaration_id": ids, "tin": tins.take(pa.array(firm)), "declared_on": date_array(day),
            "direction": pa.array(np.where(export, "export", "import")),
            "value": money(cents_of(value)), "hs_code": pa.array(hs),
            "provider": const("CUSTOMS", k), "delivered_on": date_array(day + rng.integers(1, 20, k)),
        })
