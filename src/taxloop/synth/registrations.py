"""Registration records: the taxpayers table with planted duplicates, registration changes, true entities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from taxloop.synth import names
from taxloop.synth.calendar import Calendar
from taxloop.synth.params import INDUSTRIES, REGIONS, SynthParams
from taxloop.synth.population import ENTERPRISE, KIND_NAMES, PERSON, Population
from taxloop.synth.schemes import SchemePlan
from taxloop.synth.tables import date_array, money

TIN_CHANGE, REREGISTER, SECOND_REGION = 0, 1, 2


@dataclass
class Registry:
    """Registration records (index r) and which record's TIN each entity uses in each month."""

    n: int
    dup_entity: np.ndarray  # entity of each extra record
    dup_kind: np.ndarray
    switch_month: np.ndarray  # month the entity starts using the extra record's TIN (switching kinds)
    record_tin: pa.Array  # TIN of every record: base records 0..n-1, then the extra ones

    def record_of(self, m: int) -> np.ndarray:
        """Index of the record whose TIN each entity uses in month ``m``."""
        rec = np.arange(self.n)
        switch = (self.dup_kind != SECOND_REGION) & (self.switch_month <= m)
        rec[self.dup_entity[switch]] = self.n + np.flatnonzero(switch)
        return rec

    def record_at(self, entities: np.ndarray, months: np.ndarray) -> np.ndarray:
        """Index of the record whose TIN each (entity, month) pair uses."""
        dup_of = np.full(self.n, -1)
        switching = self.dup_kind != SECOND_REGION
        dup_of[self.dup_entity[switching]] = np.flatnonzero(switching)
        d = dup_of[entities]
        use_new = (d >= 0) & (self.switch_month[np.maximum(d, 0)] <= months)
        return np.asarray(np.where(use_new, self.n + d, entities))

    def tins(self, m: int) -> pa.Array:
        """TIN in use by each entity in month ``m``."""
        return self.record_tin.take(pa.array(self.record_of(m)))


def build_registry(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan) -> Registry:
    """Choose the duplicated entities (~4 %) and give the switching ones new TINs."""
    rng = params.rng(3)
    n = pop.n
    ok = (pop.kind != PERSON) & (plan.role == 0) & (pop.start_month < 0) & (pop.end_month >= params.months)
    dup_entity = np.sort(rng.choice(np.flatnonzero(ok), size=max(10, round(n * 0.04)), replace=False))
    k = len(dup_entity)
    dup_kind = rng.choice(3, k, p=[0.4, 0.3, 0.3])
    switch_month = rng.integers(2, params.months - 2, k)
    area = pa.array([r[0] for r in REGIONS]).take(pa.array(pop.region[dup_entity]))
    prefix = pa.array(np.where(pop.kind[dup_entity] == ENTERPRISE, "91", "92"))
    new_tin = names.credit_codes(rng, k, prefix, area, n + np.arange(k))
    base_tin = pop.tin.take(pa.array(dup_entity))
    extra = pc.if_else(pa.array(dup_kind == SECOND_REGION), base_tin, new_tin)
    record_tin = pa.concat_arrays([pop.tin, extra])
    return Registry(n, dup_entity, dup_kind, switch_month, record_tin)


def taxpayers_table(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan,
                    reg: Registry) -> tuple[pa.Table, pa.Table]:
    """The ``taxpayers`` table (one row per record) and ``truth/entities.csv``."""
    rng = params.rng(4)
    n, k, months = pop.n, len(reg.dup_entity), params.months
    ent = np.concatenate([np.arange(n), reg.dup_entity])
    switch_day = cal.first_day[reg.switch_month] + rng.integers(0, 25, k)
    region = pop.region[ent].copy()
    second = reg.dup_kind == SECOND_REGION
    region[n:][second] = (region[n:][second] + rng.integers(1, len(REGIONS), int(second.sum()))) % len(REGIONS)
    reg_day = pop.reg_day[ent].copy()
    reg_day[n:] = np.where(second, pop.reg_day[reg.dup_entity] + rng.integers(30, 900, k), switch_day)
    dereg = np.where(pop.end_month[ent] < months, cal.first_day[np.minimum(pop.end_month[ent], months)], -1)
    switched_base = reg.dup_entity[~second]
    dereg[switched_base] = switch_day[~second]
    status = np.where(dereg >= 0, "deregistered", "normal").astype(object)
    vanished = (pop.end_month[ent] < months) & (np.arange(n + k) < n) & (rng.random(n + k) < 0.25)
    src = (plan.role[ent] == 1) | vanished
    status[src] = "abnormal"
    dereg[src] = -1

    def pick(values: pa.Array, variant: pa.Array) -> pa.Array:
        base = values.take(pa.array(ent))
        use = np.zeros(n + k, dtype=bool)
        use[n:] = (reg.dup_kind != TIN_CHANGE) | (rng.random(k) < 0.3)
        padded = pa.concat_arrays([base.slice(0, n), variant])
        return pc.if_else(pa.array(use), padded, base)

    district = pa.array([r[1] for r in REGIONS]).take(pa.array(region[n:]))
    dup_names = pop.name.take(pa.array(reg.dup_entity))
    name = pick(pop.name, names.variant_names(rng, dup_names, district))
    phone = pick(pop.phone, names.variant_phones(rng, pop.phone.take(pa.array(reg.dup_entity))))
    address = pick(pop.address, names.variant_addresses(rng, pop.address.take(pa.array(reg.dup_entity))))
    person_id = pop.people_id
    rep = pop.legal_rep[ent]
    fin = pop.finance[ent]
    no_fin = pa.array(fin < 0)
    kind = pop.kind[ent]
    perm = rng.permutation(n + k)
    reg_id = pc.binary_join_element_wise("R", names.digits(perm + 10_000_000, 9), "")
    table = pa.table({
        "registration_id": reg_id,
        "tin": reg.record_tin,
        "name": name,
        "kind": pa.array(np.array(KIND_NAMES, dtype=object)[kind], pa.string()),
        "legal_rep_id": person_id.take(pa.array(rep)),
        "legal_rep_name": pop.people_name.take(pa.array(rep)),
        "finance_officer_id": pc.if_else(no_fin, pa.scalar(None, pa.string()),
                                         person_id.take(pa.array(np.maximum(fin, 0)))),
        "address": address,
        "phone": phone,
        "industry_code": pa.array([i.code for i in INDUSTRIES]).take(pa.array(pop.industry[ent])),
        "region_code": pa.array([r[0] for r in REGIONS]).take(pa.array(region)),
        "vat_status": pa.array(np.where(pop.general[ent], "general", "small_scale"), pa.string(),
                               mask=kind == PERSON),
        "registered_capital": money(np.where(kind == ENTERPRISE, pop.capital[ent], np.nan)),
        "registered_on": date_array(reg_day),
        "deregistered_on": date_array(np.where(dereg >= 0, dereg, -1)),
        "status": pa.array(status, pa.string()),
    })
    order = pc.sort_indices(table, sort_keys=[("registration_id", "ascending")])
    table = table.take(order)
    entity_id = pc.binary_join_element_wise("E", names.digits(ent + 1, 8), "")
    truth = pa.table({"registration_id": reg_id, "true_entity_id": entity_id}).take(order)
    return table, truth


def changes_table(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan, reg: Registry) -> pa.Table:
    """``taxpayer_changes``: TIN changes, gang legal-rep changes before the spike, and ordinary noise changes."""
    rng = params.rng(5)
    n, months = pop.n, params.months
    rows: list[pa.Table] = []
    tin_change = np.flatnonzero(reg.dup_kind == TIN_CHANGE)
    day = cal.first_day[reg.switch_month[tin_change]]
    rows.append(_changes(pop.tin.take(pa.array(reg.dup_entity[tin_change])), "tin",
                         pop.tin.take(pa.array(reg.dup_entity[tin_change])),
                         reg.record_tin.take(pa.array(n + tin_change)), day))
    sources = np.flatnonzero(plan.role == 1)
    spike = np.array([plan.gangs[g].spike_start for g in plan.gang_of[sources]], dtype=np.int64)
    day = cal.first_day[spike] - rng.integers(30, 61, len(sources))
    old_rep = rng.integers(0, 2 * n, len(sources))
    rows.append(_changes(pop.tin.take(pa.array(sources)), "legal_rep_id", pop.people_id.take(pa.array(old_rep)),
                         pop.people_id.take(pa.array(pop.legal_rep[sources])), day))
    trading = np.flatnonzero((pop.kind != PERSON) & (plan.role != 1))
    for field, share in (("legal_rep_id", 0.03), ("address", 0.05), ("phone", 0.03), ("finance_officer_id", 0.02)):
        who = np.sort(rng.choice(trading, size=round(len(trading) * share), replace=False))
        day = cal.first_day[0] + rng.integers(0, months * 30, len(who))
        if field in ("legal_rep_id", "finance_officer_id"):
            old = pop.people_id.take(pa.array(rng.integers(0, 2 * n, len(who))))
            cur_idx = pop.legal_rep[who] if field == "legal_rep_id" else np.maximum(pop.finance[who], 0)
            new = pop.people_id.take(pa.array(cur_idx))
        else:
            cur = pop.address if field == "address" else pop.phone
            new = cur.take(pa.array(who))
            old = cur.take(pa.array(rng.integers(0, n, len(who))))
        rows.append(_changes(pop.tin.take(pa.array(who)), field, old, new, day))
    table = pa.concat_tables(rows)
    return table.take(pc.sort_indices(table, sort_keys=[("changed_on", "ascending"), ("tin", "ascending")]))


def _changes(tin: pa.Array, field: str, old: pa.Array, new: pa.Array, day: np.ndarray) -> pa.Table:
    return pa.table({"tin": tin, "field": pa.array([field] * len(tin), pa.string()), "old_value": old,
                     "new_value": new, "changed_on": date_array(day)})
