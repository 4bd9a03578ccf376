"""The operation log: normal cases, queries and noise, plus the planted integrity violations and their truth."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from taxloop.synth import names
from taxloop.synth.calendar import Calendar
from taxloop.synth.cases import (
    ACTIONS,
    CLOSE,
    EXPORT,
    MATTER_SHARE,
    MATTER_SYSTEM,
    MATTERS,
    NOTES,
    QUERY,
    QUERY_A,
    QUOTA,
    REDUCTION,
    REFUND,
    RISK,
    SYSTEMS,
    CaseBatch,
    draw_amounts,
    expand,
    off_hours_ts,
    required_level,
    work_ts,
)
from taxloop.synth.officers import ADMIN, ANALYST, INSPECTOR, LEADER, REVIEWER, VIOLATIONS, Staff
from taxloop.synth.params import SynthParams
from taxloop.synth.population import PERSON, Population
from taxloop.synth.registrations import Registry
from taxloop.synth.schemes import SchemePlan
from taxloop.synth.tables import money, timestamp_array


def _choose(rng: np.random.Generator, staff: Staff, region: np.ndarray, roles: tuple[int, ...],
            min_level: np.ndarray | None = None, avoid_violators: bool = True) -> np.ndarray:
    """One officer per case from the case's region with one of ``roles`` (and the level it needs)."""
    out = np.zeros(len(region), dtype=np.int64)
    levels = np.ones(len(region), dtype=np.int64) if min_level is None else min_level
    for r in np.unique(region):
        for lvl in np.unique(levels[region == r]):
            sel = np.flatnonzero((region == r) & (levels == lvl))
            pool = staff.pool(int(r), roles, int(lvl))
            if avoid_violators:
                clean = pool[staff.violation[pool] < 0]
                pool = clean if len(clean) else pool
            if len(pool) == 0:
                pool = staff.pool(int(r), (LEADER,), 1)
            out[sel] = pool[rng.integers(0, len(pool), len(sel))]
    return out


def normal_cases(params: SynthParams, cal: Calendar, pop: Population, staff: Staff) -> CaseBatch:
    """Everyday cases of every matter, handled by the right roles at the right levels."""
    rng = params.rng(600)
    trading = np.flatnonzero(pop.kind != PERSON)
    k = max(2000, round(pop.n * 0.12 * params.months / 12))
    matter = rng.choice(len(MATTER_SHARE), k, p=MATTER_SHARE / MATTER_SHARE.sum())
    ent = rng.choice(trading, k)
    region = pop.region[ent]
    amount = draw_amounts(rng, matter)
    req = required_level(matter, amount)
    risk = matter == RISK
    submitter = np.where(risk, _choose(rng, staff, region, (ANALYST,)), _choose(rng, staff, region, (ADMIN,)))
    acceptor = np.where(risk, _choose(rng, staff, region, (INSPECTOR,)), _choose(rng, staff, region, (REVIEWER,)))
    approver = _choose(rng, staff, region, (REVIEWER, LEADER), req)
    window = int(cal.first_day[params.months] - cal.first_day[0])
    day0 = cal.first_day[0] + rng.integers(0, window - 45, k)
    return CaseBatch(matter, ent, submitter, acceptor, approver, day0, amount, np.full(k, -1),
                     (rng.random(k) < 0.08) & ~risk, reopen=(rng.random(k) < 0.01) & ~risk, req=req).filled()


def planted_cases(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan, staff: Staff,
                  table_ids: pa.Array) -> tuple[CaseBatch, pa.Array]:
    """Extra cases carrying each violator's planted operations; returns them and the updated officer id numbers."""
    rng = params.rng(601)
    window = int(cal.first_day[params.months] - cal.first_day[0])
    clean_trading = np.flatnonzero((pop.kind != PERSON) & (plan.scheme == "") & pop.active(params.months - 1))
    schemers = np.flatnonzero(plan.scheme != "")
    ids = table_ids.to_pylist()
    batches = []
    for officer in np.flatnonzero(staff.violation >= 0):
        v = int(staff.violation[officer])
        region = int(staff.region[officer])
        in_region = clean_trading[pop.region[clean_trading] == region]
        pick_from = in_region if len(in_region) else clean_trading
        c = int(rng.integers(*{0: (3, 7), 1: (3, 7), 2: (8, 16), 3: (8, 15), 4: (4, 9), 5: (3, 7), 6: (3, 7),
                               7: (4, 9)}[v]))
        regions = np.full(c, region)
        one_tin = np.full(c, rng.choice(pick_from))
        matter = np.full(c, QUOTA)
        amount = np.full(c, np.nan)
        ent = rng.choice(pick_from, c)
        day0 = cal.first_day[0] + rng.integers(0, window - 45, c)
        lvl = int(staff.level[officer])
        if v == 0:
            matter = np.full(c, REDUCTION)
            amount = np.round(rng.uniform(5_000, 150_000, c), 2)
        elif v == 1:
            matter = np.full(c, REFUND)
            amount = np.round(rng.uniform(150_000, 480_000, c), 2) if lvl == 2 else np.round(
                rng.uniform(600_000, 2_000_000, c), 2)
        elif v == 2:
            matter = rng.choice([QUOTA, REDUCTION], c)
            amount = np.where(matter == REDUCTION, np.round(rng.uniform(2_000, 100_000, c), 2), np.nan)
        elif v == 3:
            ent = one_tin
            matter = rng.choice([QUOTA, REDUCTION], c)
            amount = np.where(matter == REDUCTION, np.round(rng.uniform(2_000, 100_000, c), 2), np.nan)
        elif v == 4:
            matter = np.full(c, RISK)
            ent = rng.choice(schemers, c)
        elif v == 5:
            matter = rng.choice([QUOTA, REDUCTION], c)
            amount = np.where(matter == REDUCTION, np.round(rng.uniform(2_000, 100_000, c), 2), np.nan)
        elif v == 6:
            ent = one_tin
            ids[officer] = pop.people_id[int(pop.legal_rep[one_tin[0]])].as_py()
            matter = rng.choice([QUOTA, REDUCTION], c)
            amount = np.where(matter == REDUCTION, np.round(rng.uniform(2_000, 100_000, c), 2), np.nan)
        elif v == 7:
            ent = one_tin
            matter = np.full(c, REFUND)
            amount = np.round(rng.uniform(450_000, 499_999.99, c), 2)
            day0 = day0[0] + np.sort(rng.integers(0, 90, c))
        req = required_level(matter, amount)
        if v == 1:
            req = np.full(c, lvl + 1)
        me = np.full(c, officer)
        submitter = me if v in (0, 5) else _choose(rng, staff, regions, (ANALYST,) if v == 4 else (ADMIN,))
        acceptor = me if v == 4 else _choose(rng, staff, regions, (REVIEWER,))
        approver = _choose(rng, staff, regions, (REVIEWER, LEADER), req) if v in (4, 5) else me
        batches.append(CaseBatch(matter, ent, submitter, acceptor, approver, day0, amount, np.full(c, v),
                                 np.zeros(c, bool), offhours_approve=np.full(c, v == 2),
                                 fast_close=np.full(c, v == 4), edit_after=np.full(c, v == 5), req=req))
    decoys = rng.choice(np.flatnonzero(staff.violation < 0), size=max(2, staff.n // 200), replace=False)
    for officer in decoys:  # same person as a legal rep in another region: no cases of that firm, no violation
        far = clean_trading[pop.region[clean_trading] != staff.region[officer]]
        ids[officer] = pop.people_id[int(pop.legal_rep[rng.choice(far)])].as_py()
    merged = CaseBatch(*(np.concatenate([getattr(b, f) for b in batches]) for f in (
        "matter", "ent", "submitter", "acceptor", "approver", "day0", "amount", "planted", "reject",
        "offhours_approve", "fast_close", "edit_after", "reopen", "req")))
    return merged, pa.array(ids)


def operation_log(params: SynthParams, cal: Calendar, pop: Population, plan: SchemePlan, reg: Registry,
                  staff: Staff) -> tuple[pa.Table, pa.Table, pa.Table]:
    """``operation_log``, the officers table (with conflict-of-interest id numbers) and the violations truth."""
    rng = params.rng(602)
    normal = normal_cases(params, cal, pop, staff)
    planted, officer_ids = planted_cases(params, cal, pop, plan, staff, staff.table["id_number"].combine_chunks())
    ops_n = expand(rng, normal, 0)
    ops_p = expand(rng, planted, len(normal.matter))
    ops = {c: np.concatenate([ops_n[c], ops_p[c]]) for c in ops_n}
    noise = (rng.random(len(ops["ts"])) < 0.005) & (ops["viol"] < 0) & (ops["action"] == CLOSE)
    ops["ts"] = np.where(noise, ops["ts"] // 86400 * 86400 + rng.integers(22 * 3600, 23 * 3600 + 1800,
                                                                         len(ops["ts"])), ops["ts"])
    q = len(normal.matter) * 3 // 2
    trading = np.flatnonzero(pop.kind != PERSON)
    window = int(cal.first_day[params.months] - cal.first_day[0])
    q_ts = work_ts(rng, cal.first_day[0] + rng.integers(0, window, q))
    q_ts = np.where(rng.random(q) < 0.005, off_hours_ts(rng, q_ts // 86400), q_ts)
    queries = {"ts": q_ts, "officer": rng.integers(0, staff.n, q), "matter": np.full(q, QUERY),
               "case": np.full(q, -1), "ent": rng.choice(trading, q),
               "action": np.where(rng.random(q) < 0.05, EXPORT, QUERY_A), "amount": np.full(q, np.nan),
               "req": np.zeros(q, np.int64), "note": np.full(q, -1), "viol": np.full(q, -1)}
    ops = {c: np.concatenate([ops[c], queries[c]]) for c in ops}
    order = np.lexsort((ops["case"], ops["ts"]))
    ops = {c: v[order] for c, v in ops.items()}
    k = len(ops["ts"])
    month = np.clip(cal.month_of_day(ops["ts"] // 86400), 0, params.months - 1)
    tin = reg.record_tin.take(pa.array(reg.record_at(ops["ent"], month)))
    op_id = pc.binary_join_element_wise("OP", names.digits(np.arange(k) + 1, 10), "")
    case_id = pc.if_else(pa.array(ops["case"] >= 0),
                         pc.binary_join_element_wise("C", names.digits(np.maximum(ops["case"], 0) + 1, 9), ""),
                         pa.scalar(None, pa.string()))
    notes = pa.array(NOTES)
    table = pa.table({
        "op_id": op_id, "ts": timestamp_array(ops["ts"]),
        "officer_id": staff.table["officer_id"].combine_chunks().take(pa.array(ops["officer"])),
        "system": pa.array(SYSTEMS).take(pa.array(MATTER_SYSTEM[ops["matter"]])),
        "matter_code": pa.array(MATTERS).take(pa.array(ops["matter"])),
        "case_id": case_id, "tin": tin, "action": pa.array(ACTIONS).take(pa.array(ops["action"])),
        "amount": money(ops["amount"]),
        "required_level": pa.array(ops["req"], pa.int64(), mask=ops["req"] == 0),
        "note": pc.if_else(pa.array(ops["note"] >= 0), notes.take(pa.array(np.maximum(ops["note"], 0))),
                           pa.scalar(None, pa.string())),
    })
    officers = staff.table.set_column(staff.table.schema.get_field_index("id_number"), "id_number", officer_ids)
    hit = np.flatnonzero(ops["viol"] >= 0)
    truth = pa.table({
        "officer_id": table["officer_id"].take(pa.array(hit)),
        "violation": pa.array(VIOLATIONS).take(pa.array(ops["viol"][hit])),
        "op_id": op_id.take(pa.array(hit)), "case_id": case_id.take(pa.array(hit)),
        "tin": tin.take(pa.array(hit)),
    })
    return table, officers, truth
