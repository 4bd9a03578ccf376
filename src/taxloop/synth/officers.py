"""Officers of the bureau: roles, levels, units, regions, skills, personal data; planted violators."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from taxloop.synth import names
from taxloop.synth.calendar import Calendar
from taxloop.synth.params import REGION_WEIGHTS, REGIONS, SynthParams

ROLES = ("administrator", "reviewer", "inspector", "discipline", "analyst", "leader")
ADMIN, REVIEWER, INSPECTOR, DISCIPLINE, ANALYST, LEADER = range(6)
ROLE_SHARE = np.array([0.45, 0.20, 0.15, 0.05, 0.08, 0.07])
LEVEL_RANGE = {ADMIN: (1, 3), REVIEWER: (2, 4), INSPECTOR: (2, 4), DISCIPLINE: (3, 4), ANALYST: (1, 3),
               LEADER: (4, 5)}
UNIT = {ADMIN: "SSGL", REVIEWER: "SHK", INSPECTOR: "JCJ", DISCIPLINE: "JJZ", ANALYST: "FXJ", LEADER: "JLD"}
SKILLS = {ADMIN: ("vat", "cit", "registration", "invoice"), REVIEWER: ("vat", "cit", "export_refund", "law"),
          INSPECTOR: ("audit", "vat", "cit", "real_estate"), DISCIPLINE: ("discipline", "audit"),
          ANALYST: ("data", "risk", "vat"), LEADER: ("management", "vat", "cit")}
VIOLATIONS = ("self_approval", "beyond_authority", "off_hours", "concentration", "fast_no_issue_closure",
              "edit_after_close", "conflict_of_interest", "threshold_structuring")
#: Role a violator of each kind must have.
VIOLATOR_ROLE = (ADMIN, REVIEWER, REVIEWER, REVIEWER, INSPECTOR, ADMIN, REVIEWER, REVIEWER)


@dataclass
class Staff:
    """Officer arrays and the planted violators (officer index -> violation index)."""

    n: int
    role: np.ndarray
    level: np.ndarray
    region: np.ndarray
    violation: np.ndarray  # -1 = clean
    table: pa.Table

    def pool(self, region: int, roles: tuple[int, ...], min_level: int = 1) -> np.ndarray:
        """Officers of ``region`` with one of ``roles`` and at least ``min_level`` (clean ones first)."""
        ok = (self.region == region) & np.isin(self.role, roles) & (self.level >= min_level)
        return np.flatnonzero(ok)


def build_staff(params: SynthParams, cal: Calendar, taxpayer_count: int) -> Staff:
    """Officers (~1 per 150 taxpayers, at least 80): each region gets a leader, reviewers and administrators."""
    rng = params.rng(500)
    n = max(150, round(taxpayer_count / 150))
    n_regions = len(REGIONS)
    fixed_roles = np.array([LEADER, REVIEWER, REVIEWER, ADMIN, ADMIN, INSPECTOR, ANALYST])
    fixed = np.tile(fixed_roles, n_regions)
    region = np.concatenate([np.repeat(np.arange(n_regions), len(fixed_roles)),
                             rng.choice(n_regions, n - len(fixed), p=REGION_WEIGHTS / REGION_WEIGHTS.sum())])
    role = np.concatenate([fixed, rng.choice(len(ROLES), n - len(fixed), p=ROLE_SHARE)])
    lo = np.array([LEVEL_RANGE[r][0] for r in range(6)])[role]
    hi = np.array([LEVEL_RANGE[r][1] for r in range(6)])[role]
    level = rng.integers(lo, hi + 1)
    level[: len(fixed)] = np.tile([5, 4, 3, 2, 1, 3, 2], n_regions)
    violation = np.full(n, -1)
    n_viol = max(len(VIOLATIONS), round(n * 0.015))
    taken: set[int] = set()
    for v in range(n_viol):
        kind = v % len(VIOLATIONS)
        need_role = VIOLATOR_ROLE[kind]
        cand = [i for i in np.flatnonzero(role == need_role)[rng.permutation(int((role == need_role).sum()))]
                if i not in taken and i >= len(fixed)]
        if not cand:
            continue
        i = int(cand[0])
        taken.add(i)
        violation[i] = kind
        if kind in (0, 6):
            level[i] = max(level[i], 3)
        if kind == 1:
            level[i] = 2
        if kind == 7:
            level[i] = 3
    reg = pa.array([r[0] for r in REGIONS]).take(pa.array(region))
    skills_all = [";".join(sorted(set(rng.choice(SKILLS[r], 2)))) for r in role]
    table = pa.table({
        "officer_id": pc.binary_join_element_wise("O", names.digits(np.arange(n) + 1001, 5), ""),
        "name": names.person_names(rng, n),
        "id_number": names.id_numbers(rng, n, reg, first_seq=900),
        "address": names.addresses(rng, n, pa.array([r[3] for r in REGIONS]).take(pa.array(region)),
                                   pa.array([r[2] for r in REGIONS]).take(pa.array(region)),
                                   pa.array([r[1] for r in REGIONS]).take(pa.array(region))),
        "phone": names.phones(rng, n, pa.array(np.full(n, "1"))),
        "unit_code": pc.binary_join_element_wise(reg, "-", pa.array([UNIT[r] for r in role]), ""),
        "region_code": reg,
        "role": pa.array([ROLES[r] for r in role]),
        "level": pa.array(level.astype(np.int64)),
        "skills": pa.array(skills_all),
        "active_from": pa.array(np.asarray(cal.first_day[0] - rng.integers(200, 8000, n), dtype=np.int32),
                                pa.date32()),
        "active_to": pa.array(np.zeros(n, dtype=np.int32), pa.date32(), mask=np.ones(n, bool)),
    })
    return Staff(n, role, level, region, violation, table)
