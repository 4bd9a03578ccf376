"""Past audit outcomes consistent with the planted truth, and the truth files of the taxpayer schemes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from taxloop.synth import names
from taxloop.synth.calendar import Calendar
from taxloop.synth.params import SynthParams
from taxloop.synth.population import PERSON, Population
from taxloop.synth.registrations import Registry
from taxloop.synth.schemes import SchemePlan
from taxloop.synth.tables import cents_of, date_array, money

FOUND_AS = {
    "fake_invoicing_source": "fake_invoicing", "pass_through": "fake_invoicing", "invoice_recipient": "fake_invoicing",
    "under_reported_sales": "under_reporting", "zero_declaration_trading": "under_reporting",
    "non_filer": "non_filing", "payroll_under_withholding": "iit_withholding", "land_use_evasion": "land_use_tax",
    "property_under_declared": "property_price", "inflated_costs": "cost_inflation", "rnd_abuse": "rnd_deduction",
    "arrears": "arrears",
}
ROLE_NAMES = ("", "source", "pass_through", "recipient")


def scheme_truth(plan: SchemePlan, reg: Registry, evaded: np.ndarray, months: int) -> tuple[pa.Table, pa.Table]:
    """``truth/taxpayer_schemes.csv`` (one row per planted tin, for every TIN the entity used) and ``gangs.csv``."""
    who = np.flatnonzero(plan.scheme != "")
    first = reg.record_at(who, np.zeros(len(who), np.int64))
    last = reg.record_at(who, np.full(len(who), months - 1))
    both = np.concatenate([first, last[last != first]])
    ent = np.concatenate([who, who[last != first]])
    gang = np.where(plan.gang_of[ent] >= 0, plan.gang_of[ent], 0)
    gang_ids = pa.array([g.gang_id for g in plan.gangs] or [""])
    in_gang = pa.array(plan.gang_of[ent] >= 0)
    null = pa.scalar(None, pa.string())
    tin = reg.record_tin.take(pa.array(both))
    schemes = pa.table({
        "tin": tin,
        "true_entity_id": pc.binary_join_element_wise("E", names.digits(ent + 1, 8), ""),
        "scheme": pa.array(plan.scheme[ent].astype(str)),
        "gang_id": pc.if_else(in_gang, gang_ids.take(pa.array(gang)), null),
        "role": pc.if_else(in_gang, pa.array(ROLE_NAMES).take(pa.array(plan.role[ent].astype(np.int64))), null),
        "tax_evaded": money(cents_of(np.where(both == ent, evaded[ent], 0.0))),
    })
    gangs = schemes.filter(in_gang).select(["gang_id", "tin", "role"])
    gangs = gangs.take(pc.sort_indices(gangs, sort_keys=[("gang_id", "ascending"), ("role", "ascending"),
                                                         ("tin", "ascending")]))
    return schemes, gangs


def audit_outcomes(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan, reg: Registry,
                   evaded: np.ndarray) -> pa.Table:
    """Past cases: ~3 % of taxpayers; planted schemers over-sampled and mostly found, clean ones mostly no_issue."""
    rng = params.rng(700)
    n, months = pop.n, params.months
    trading = pop.kind != PERSON
    schemer = plan.scheme != ""
    p = np.where(schemer, 0.3, 0.025) * trading
    who = np.flatnonzero(rng.random(n) < p)
    k = len(who)
    s = schemer[who]
    sel_s = rng.choice(5, k, p=[0.55, 0.10, 0.20, 0.15, 0.0])
    sel_c = rng.choice(5, k, p=[0.30, 0.05, 0.57, 0.03, 0.05])
    selection = np.where(s, sel_s, sel_c)
    found = s & (rng.random(k) < 0.85)
    role = plan.role[who]
    fraud = found & ((role == 1) | (role == 2) | ((role == 3) & (rng.random(k) < 0.3)) | (rng.random(k) < 0.05))
    adjusted_clean = ~s & (rng.random(k) < 0.08)
    finding = np.where(fraud, 2, np.where(found | adjusted_clean, 1, 0))
    recovered = np.where(found, evaded[who] * rng.uniform(1.0, 1.5, k), 0.0)
    recovered = np.where(adjusted_clean, np.exp(rng.uniform(np.log(1e3), np.log(5e4), k)), recovered)
    lo = np.clip(np.where(s, plan.start[who] + 2, 0), 0, months - 3)
    opened_m = np.clip(lo + rng.integers(0, np.maximum(1, months - lo), k), 0, months - 1)
    opened = cal.first_day[opened_m] + rng.integers(0, 28, k)
    closed = opened + rng.integers(20, 180, k)
    scheme = np.array([FOUND_AS.get(c, "") for c in plan.scheme[who]], dtype=object)
    scheme = np.where(found, scheme, np.where(adjusted_clean, "other", ""))
    tin = reg.record_tin.take(pa.array(reg.record_at(who, opened_m)))
    order = rng.permutation(k)
    return pa.table({
        "case_id": pc.binary_join_element_wise("A", names.digits(order + 1, 8), ""),
        "tin": tin, "opened_on": date_array(opened), "closed_on": date_array(closed),
        "selection": pa.array(np.array(["indicator", "model", "random", "tip_off", "other"])[selection]),
        "finding": pa.array(np.array(["no_issue", "adjusted", "fraud"])[finding]),
        "tax_recovered": money(cents_of(recovered)),
        "scheme": pa.array(scheme.astype(str), pa.string(), mask=scheme == ""),
    }).take(pa.array(np.argsort(order)))
