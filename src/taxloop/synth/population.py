"""The firms and people of the city: vectorised attributes of every true entity (no registration duplicates yet)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from taxloop.synth import names
from taxloop.synth.calendar import Calendar
from taxloop.synth.params import INDUSTRIES, INDUSTRY_SHARES, REGION_WEIGHTS, REGIONS, SynthParams

ENTERPRISE, INDIVIDUAL, PERSON = 0, 1, 2
KIND_NAMES = ("enterprise", "individual_business", "natural_person")


@dataclass
class Population:
    """Entity-level arrays (index i = true entity), strings as pyarrow arrays."""

    n: int
    kind: np.ndarray
    industry: np.ndarray
    region: np.ndarray
    revenue: np.ndarray  # normal annual revenue, yuan
    general: np.ndarray  # general VAT payer
    coverage: np.ndarray  # share of sales that is invoiced
    employees: np.ndarray
    wage: np.ndarray
    growth: np.ndarray
    reg_day: np.ndarray
    start_month: np.ndarray  # first active month index (may be negative)
    end_month: np.ndarray  # first inactive month index (>= M when still active)
    legal_rep: np.ndarray  # index into people
    finance: np.ndarray  # index into people, -1 = none
    capital: np.ndarray
    tin: pa.Array
    name: pa.Array
    address: pa.Array
    phone: pa.Array
    people_id: pa.Array
    people_name: pa.Array
    people_phone: pa.Array

    @property
    def trading(self) -> np.ndarray:
        """Entities that sell (enterprises and individual businesses)."""
        return np.asarray(self.kind != PERSON)

    def active(self, m: int) -> np.ndarray:
        """Entities registered and not yet deregistered in month ``m``."""
        return np.asarray((self.start_month <= m) & (self.end_month > m))


def build_population(params: SynthParams, cal: Calendar) -> Population:
    """Draw every entity's attributes (industry, size, region, people, names, codes)."""
    rng = params.rng(1)
    n = params.taxpayers
    kind = rng.choice(3, n, p=[0.72, 0.23, 0.05])
    industry = rng.choice(len(INDUSTRIES), n, p=INDUSTRY_SHARES)
    region = rng.choice(len(REGIONS), n, p=REGION_WEIGHTS / REGION_WEIGHTS.sum())
    log_rev = np.where(kind == ENTERPRISE, rng.normal(np.log(4e6), 1.3, n), rng.normal(np.log(4e5), 0.8, n))
    revenue = np.where(kind == PERSON, 0.0, np.exp(np.clip(log_rev, np.log(5e4), np.log(5e9))))
    general = (kind == ENTERPRISE) & ((revenue > 5e6) | (rng.random(n) < 0.3))
    b2b = np.array([i.b2b for i in INDUSTRIES])[industry]
    coverage = np.clip(b2b + (1 - b2b) * rng.uniform(0.3, 0.7, n), 0.5, 1.0)
    coverage = np.where(b2b > 0.8, rng.uniform(0.96, 1.0, n), coverage)
    rpe = np.array([i.rev_per_employee for i in INDUSTRIES])[industry]
    employees = np.where(
        kind == ENTERPRISE,
        np.round(revenue / rpe * rng.lognormal(0, 0.4, n)),
        np.where(kind == INDIVIDUAL, rng.integers(0, 5, n), 0),
    ).astype(np.int64)
    wage = np.array([i.wage for i in INDUSTRIES])[industry] * rng.lognormal(0, 0.25, n)
    growth = rng.normal(0.05, 0.12, n)

    window_start = cal.first_day[0]
    age_days = np.minimum(rng.exponential(6 * 365, n), 30 * 365).astype(np.int64) + 30
    late = rng.random(n) < 0.08
    reg_day = np.where(late, window_start + rng.integers(0, params.months * 30, n), window_start - age_days)
    start_month = cal.month_of_day(reg_day) + 1
    start_month = np.where(reg_day < window_start, -1, start_month)
    end_month = np.where(rng.random(n) < 0.04, rng.integers(6, params.months + 1, n), params.months + 100)
    end_month = np.maximum(end_month, start_month + 6)

    n_people = 2 * n + 100
    legal_rep = np.arange(n)
    shared = (rng.random(n) < 0.01) & (kind != PERSON)
    legal_rep[shared] = rng.integers(0, n, int(shared.sum()))
    finance = np.where(kind == ENTERPRISE, n + np.arange(n), -1)
    capital = np.where(kind == ENTERPRISE, np.round(np.exp(rng.normal(np.log(1e6), 1.2, n)), -4), 0.0)

    reg_code = pa.array([r[0] for r in REGIONS]).take(pa.array(region))
    city = pa.array([r[2] for r in REGIONS]).take(pa.array(region))
    province = pa.array([r[3] for r in REGIONS]).take(pa.array(region))
    district = pa.array([r[1] for r in REGIONS]).take(pa.array(region))
    area_code = pa.array([r[4] for r in REGIONS]).take(pa.array(region))
    people_region = pa.array(np.resize(np.asarray(reg_code.to_numpy(zero_copy_only=False)), n_people))
    people_id = names.id_numbers(rng, n_people, people_region)
    people_name = names.person_names(rng, n_people)
    people_phone = names.phones(rng, n_people, pa.array(np.full(n_people, "0755")))
    prefix = pa.array(np.where(kind == ENTERPRISE, "91", "92"))
    codes = names.credit_codes(rng, n, prefix, reg_code, np.arange(n))
    tin = pa.chunked_array([codes]).combine_chunks()
    person_tin = people_id.take(pa.array(legal_rep))
    is_person = pa.array(kind == PERSON)
    tin = pa.compute.if_else(is_person, person_tin, tin)
    word = pa.array([i.word for i in INDUSTRIES]).take(pa.array(industry))
    firm_names = names.company_names(rng, n, city, word, kind == INDIVIDUAL)
    name = pa.compute.if_else(is_person, people_name.take(pa.array(legal_rep)), firm_names)
    address = names.addresses(rng, n, province, city, district)
    phone = names.phones(rng, n, area_code)
    return Population(
        n=n, kind=kind, industry=industry, region=region, revenue=revenue, general=general, coverage=coverage,
        employees=employees, wage=wage, growth=growth, reg_day=reg_day, start_month=start_month,
        end_month=end_month, legal_rep=legal_rep, finance=finance, capital=capital, tin=tin, name=name,
        address=address, phone=phone, people_id=people_id, people_name=people_name, people_phone=people_phone,
    )


def monthly_revenue(pop: Population, cal: Calendar, m: int, rng: np.random.Generator) -> np.ndarray:
    """Each entity's true sales in month ``m`` (seasonality, growth, noise; 0 when inactive)."""
    season = np.array([i.season for i in INDUSTRIES])[:, int(cal.calendar_month[m])]
    base = pop.revenue / 12.0 * season[pop.industry] * (1.0 + pop.growth) ** (m / 12.0)
    return np.where(pop.active(m), base * rng.lognormal(0, 0.15, pop.n), 0.0)
