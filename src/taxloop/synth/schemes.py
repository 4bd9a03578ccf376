"""Which entities run which planted scheme, when, and how strongly; gangs of fake invoicing."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from taxloop.synth.calendar import Calendar
from taxloop.synth.params import SynthParams
from taxloop.synth.population import ENTERPRISE, PERSON, Population

#: Window schemes: (code, share of eligible entities)
WINDOW_SCHEMES = (
    ("under_reported_sales", 0.02),
    ("zero_declaration_trading", 0.01),
    ("non_filer", 0.01),
    ("arrears", 0.015),
    ("payroll_under_withholding", 0.015),
)
#: Annual / asset schemes: (code, share of eligible entities)
OTHER_SCHEMES = (
    ("inflated_costs", 0.015),
    ("rnd_abuse", 0.01),
    ("land_use_evasion", 0.01),
    ("property_under_declared", 0.005),
)


@dataclass
class Gang:
    """One fake-invoicing gang: members and the months of its spike."""

    gang_id: str
    sources: np.ndarray
    pass_through: np.ndarray
    recipients: np.ndarray
    spike_start: int
    spike_end: int


@dataclass
class SchemePlan:
    """Planted schemes: per-entity code (``""`` = clean), window, ratio; the gangs."""

    scheme: np.ndarray  # object array of scheme codes for the single-scheme entities
    start: np.ndarray
    end: np.ndarray
    ratio: np.ndarray
    gangs: list[Gang] = field(default_factory=list)
    role: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))  # 0 none 1 src 2 pt 3 recipient
    gang_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def mask(self, code: str) -> np.ndarray:
        """Boolean mask of the entities planted with ``code`` (cached)."""
        cache = self.__dict__.setdefault("_masks", {})
        if code not in cache:
            cache[code] = np.asarray(self.scheme == code)
        return np.asarray(cache[code])

    def members(self, code: str) -> np.ndarray:
        """Indices of the entities planted with ``code``."""
        return np.flatnonzero(self.scheme == code)

    def in_window(self, code: str, m: int) -> np.ndarray:
        """Boolean mask: entity runs ``code`` in month ``m``."""
        return np.asarray(self.mask(code) & (self.start <= m) & (self.end > m))


def plan_schemes(params: SynthParams, cal: Calendar, pop: Population) -> SchemePlan:
    """Choose the planted entities (disjoint across schemes), their windows, ratios and gangs."""
    rng = params.rng(2)
    n, months = pop.n, params.months
    scheme = np.full(n, "", dtype=object)
    start = np.zeros(n, dtype=np.int64)
    end = np.zeros(n, dtype=np.int64)
    ratio = np.ones(n)
    role = np.zeros(n, dtype=np.int8)
    gang_of = np.full(n, -1, dtype=np.int64)
    eligible = (pop.kind != PERSON) & (pop.start_month < 0) & (pop.end_month >= months) & (pop.revenue > 2e5)
    pool = list(rng.permutation(np.flatnonzero(eligible)))

    def take(k: int, cond: np.ndarray | None = None) -> np.ndarray:
        chosen: list[int] = []
        rest: list[int] = []
        while pool and len(chosen) < k:
            i = pool.pop()
            (chosen if cond is None or cond[i] else rest).append(i)
        pool.extend(rest)
        return np.array(chosen, dtype=np.int64)

    gangs = []
    phone_to: list[int] = []
    phone_from: list[int] = []
    n_gangs = max(3, round(n / 3000 * params.scheme_rate))
    enterprise = pop.kind == ENTERPRISE
    big_general = pop.general & (pop.revenue > 3e6) & (pop.revenue < 3e8)
    for g in range(n_gangs):
        src = take(int(rng.integers(2, 4)), enterprise)
        pts = take(int(rng.integers(2, 5)), enterprise)
        rec = take(int(rng.integers(5, 21)), big_general)
        s0 = int(rng.integers(3, max(4, months - 6)))
        gang = Gang(f"G{g + 1:04d}", src, pts, rec, s0, min(months, s0 + int(rng.integers(3, 7))))
        gangs.append(gang)
        for members, code, r in ((src, "fake_invoicing_source", 1), (pts, "pass_through", 2),
                                 (rec, "invoice_recipient", 3)):
            scheme[members] = code
            role[members] = r
            gang_of[members] = g
            start[members] = gang.spike_start
            end[members] = gang.spike_end
        shells = np.concatenate([src, pts])
        pop.general[shells] = True
        pop.revenue[src] = rng.uniform(1e5, 3e5, len(src))
        pop.revenue[pts] = rng.uniform(3e5, 1e6, len(pts))
        pop.employees[src] = rng.integers(0, 2, len(src))
        pop.employees[pts] = rng.integers(0, 4, len(pts))
        reg = cal.first_day[s0] - rng.integers(60, 420, len(src))
        pop.reg_day[src] = reg
        pop.start_month[src] = np.where(reg < cal.first_day[0], -1, cal.month_of_day(reg) + 1)
        pop.end_month[src] = gang.spike_end + 1
        pop.region[shells] = pop.region[src[0]]
        pop.legal_rep[pts[0]] = pop.legal_rep[src[0]]
        if len(pts) > 2:
            pop.legal_rep[pts[2]] = pop.legal_rep[src[1]]
        pop.finance[shells] = pop.finance[src[0]]
        phone_to += [int(pts[1]), int(src[-1])]
        phone_from += [int(src[0]), int(pts[0])]

    if phone_to:
        phones = pop.phone.to_numpy(zero_copy_only=False).copy()
        phones[phone_to] = phones[phone_from]
        pop.phone = pa.array(phones, pa.string())

    for code, share in WINDOW_SCHEMES + OTHER_SCHEMES:
        k = max(8, round(n * share * params.scheme_rate))
        cond = None
        if code == "payroll_under_withholding":
            cond = pop.employees >= 3
        elif code == "inflated_costs":
            cond = enterprise & (pop.revenue > 2e6)  # material inflation
        elif code in ("rnd_abuse", "property_under_declared", "land_use_evasion"):
            cond = enterprise
        elif code in ("under_reported_sales", "zero_declaration_trading", "non_filer"):
            cond = pop.revenue > 1e6  # enough invoices every month for the gap to show
        members = take(k, cond)
        scheme[members] = code
        length = rng.integers(6, 13, len(members))
        s = rng.integers(0, np.maximum(1, months - length))
        if code == "payroll_under_withholding":
            s = np.where(rng.random(len(members)) < 0.6, 0, s)
            length = np.where(s == 0, months, length)
        start[members] = s
        end[members] = np.minimum(months, s + length)
        lo, hi = {"under_reported_sales": (0.4, 0.7), "arrears": (0.0, 0.5),
                  "payroll_under_withholding": (0.35, 0.65), "inflated_costs": (1.5, 2.2),
                  "rnd_abuse": (0.12, 0.35), "land_use_evasion": (0.3, 0.6),
                  "property_under_declared": (0.4, 0.65)}.get(code, (0.0, 0.0))
        ratio[members] = rng.uniform(lo, hi, len(members))
    return SchemePlan(scheme, start, end, ratio, gangs, role, gang_of)
