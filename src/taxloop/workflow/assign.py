"""Allocation service: builds the allocator's inputs from the store, draws, records the run.

Conflicts of interest are excluded before the draw: an officer whose ID number equals a legal
representative's or finance officer's, or who shares their phone or address, and the officers who
handled the taxpayer's last ``rotation_depth`` tasks (rotation). The run's full inputs are stored
(gzip JSON with its SHA-256) so ``recheck_run`` can redo the draw and confirm every assignment.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from taxloop.workflow.allocation import (
    ANY_SCOPE,
    AllocationInputs,
    AllocationResult,
    OfficerSlot,
    TaskSlot,
    allocate,
    recheck,
)
from taxloop.workflow.bulk import bulk_insert
from taxloop.workflow.errors import NotFound
from taxloop.workflow.matters import Catalogue, Matter, default_catalogue
from taxloop.workflow.models import Officer
from taxloop.workflow.tables import allocation_runs, allocations, audit_events, tasks
from taxloop.workflow.textnorm import norm_phone, norm_text
from taxloop.workflow.uow import UnitOfWork


@dataclass
class AllocationRun:
    """Summary of one allocation run."""

    run_id: str
    seed: int
    allocated: int = 0
    unallocated: list[str] = field(default_factory=list)
    conflicts_excluded: int = 0
    per_officer: dict[str, int] = field(default_factory=dict)


def eligibility(matter: Matter) -> tuple[tuple[str, ...], int]:
    """Roles allowed on every required step and the highest level those steps need."""
    steps = [s for s in matter.steps if s.required] or matter.steps
    roles = set(steps[0].roles)
    for s in steps[1:]:
        roles &= set(s.roles)
    return tuple(sorted(roles)), max(s.min_level for s in steps)


class ConflictIndex:
    """Which officers are related to a taxpayer by ID number, phone or address."""

    def __init__(self, officers: Sequence[Officer]) -> None:
        self.by_key: dict[tuple[str, str], set[str]] = defaultdict(set)
        for o in officers:
            if v := norm_text(o.id_number):
                self.by_key[("ids", v)].add(o.officer_id)
            if v := norm_phone(o.phone):
                self.by_key[("phones", v)].add(o.officer_id)
            if v := norm_text(o.address):
                self.by_key[("addresses", v)].add(o.officer_id)

    def related(self, persons: dict[str, list[str]]) -> set[str]:
        """Officers sharing any of the taxpayer's person keys."""
        out: set[str] = set()
        for kind, values in persons.items():
            for v in values:
                out |= self.by_key.get((kind, v), set())
        return out


def officer_slots(officers: Sequence[Officer], workload: dict[str, int]) -> list[OfficerSlot]:
    """Officers as allocator inputs."""
    return [
        OfficerSlot(
            o.officer_id,
            o.region_code,
            o.grid_code,
            o.unit_code,
            o.role,
            o.level,
            tuple(o.skills),
            o.capacity,
            int(workload.get(o.officer_id, 0)),
        )
        for o in officers
    ]


def allocate_tasks(
    uow: UnitOfWork,
    seed: int,
    task_ids: Sequence[str] | None = None,
    kind: str | None = "risk",
    rotation_depth: int = 2,
    exclude_own_unit_of: dict[str, str] | None = None,
    exclude_officers: dict[str, set[str]] | None = None,
    catalogue: Catalogue | None = None,
    cross_region: bool = False,
) -> AllocationRun:
    """Allocate pushed tasks (or ``task_ids``): seeded weighted draw, conflicts and rotation excluded.

    ``exclude_own_unit_of`` maps task id -> unit code its officer must not belong to (cross review,
    integrity cases); ``exclude_officers`` maps task id -> officers never to draw; ``cross_region``
    lets officers of any region be drawn.
    """
    cat = catalogue or default_catalogue()
    where = [tasks.c.status == "pushed"]
    if task_ids is not None:
        where.append(tasks.c.task_id.in_(list(task_ids)))
    if kind:
        where.append(tasks.c.kind == kind)
    cols = (
        tasks.c.task_id,
        tasks.c.matter_code,
        tasks.c.entity_id,
        tasks.c.region_code,
        tasks.c.grid_code,
        tasks.c.difficulty,
        tasks.c.skills,
        tasks.c.persons,
        tasks.c.subject_officer_id,
        tasks.c.version,
    )
    todo = uow.conn.execute(sa.select(*cols).where(*where).order_by(tasks.c.task_id)).all()
    officers = uow.officers.all()
    conflicts = ConflictIndex(officers)
    rotation = uow.tasks.last_assignees([t.entity_id for t in todo if t.entity_id], rotation_depth)
    run = AllocationRun(run_id=f"A{uow.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}", seed=seed)
    rules = {code: eligibility(cat.get(code)) for code in {t.matter_code for t in todo}}
    slots: list[TaskSlot] = []
    excluded = exclude_officers or {}
    own_units = exclude_own_unit_of or {}
    for t in todo:
        roles, min_level = rules[t.matter_code]
        forbidden: set[str] = set()
        if t.persons:
            related = conflicts.related(t.persons)
            run.conflicts_excluded += len(related)
            forbidden |= related
        if t.entity_id in rotation:
            forbidden.update(rotation[t.entity_id])
        if t.task_id in excluded:
            forbidden |= excluded[t.task_id]
        if t.subject_officer_id:
            forbidden.add(t.subject_officer_id)
        unit = own_units.get(t.task_id)
        scope = ANY_SCOPE if cross_region else t.region_code
        slots.append(
            TaskSlot(
                t.task_id,
                scope,
                t.grid_code,
                t.difficulty,
                tuple(t.skills),
                roles,
                min_level,
                tuple(sorted(forbidden)) if forbidden else (),
                (unit,) if unit else (),
            )
        )
    inputs = AllocationInputs(seed, officer_slots(officers, uow.tasks.workload()), slots)
    result = allocate(inputs)
    deadlines = {code: cat.get(code).deadline_days for code in rules}
    _store_run(uow, run, inputs, result, {t.task_id: (t.version, deadlines[t.matter_code]) for t in todo})
    return run


def _store_run(
    uow: UnitOfWork,
    run: AllocationRun,
    inputs: AllocationInputs,
    result: AllocationResult,
    by_id: dict[str, tuple[int, int]],
) -> None:
    now = uow.now()
    blob = gzip.compress(json.dumps(inputs.to_dict(), separators=(",", ":")).encode("utf-8"), 6, mtime=0)
    updates = []
    counts: dict[str, int] = defaultdict(int)
    dues: dict[int, datetime] = {}
    assigned = result.assigned()
    u = result.u.tolist()
    for task_id, officer_id in zip(result.task_ids, assigned, strict=True):
        if officer_id is None:
            run.unallocated.append(task_id)
            continue
        version, days = by_id[task_id]
        due = dues.get(days) or dues.setdefault(days, now + timedelta(days=days))
        updates.append(
            {
                "task_id": task_id,
                "version": version,
                "status": "allocated",
                "assignee_id": officer_id,
                "allocated_at": now,
                "due_at": due,
            }
        )
        counts[officer_id] += 1
    run.allocated = len(updates)
    run.per_officer = dict(counts)
    uow.tasks.update_many(updates)
    uow.conn.execute(
        allocation_runs.insert().values(
            run_id=run.run_id,
            at=now,
            actor=uow.actor,
            seed=run.seed,
            params={"tasks": len(inputs.tasks)},
            inputs=blob,
            inputs_sha256=hashlib.sha256(blob).hexdigest(),
            allocated=run.allocated,
            unallocated=len(run.unallocated),
        )
    )
    rows = [
        {
            "run_id": run.run_id,
            "task_id": t,
            "officer_id": o,
            "draw": d,
            "weight": w,
            "total_weight": tw,
            "candidates": c,
        }
        for t, o, d, w, tw, c in zip(
            result.task_ids,
            assigned,
            u,
            result.weight.tolist(),
            result.total.tolist(),
            result.eligible.tolist(),
            strict=True,
        )
    ]
    bulk_insert(uow.conn, allocations, rows)
    uow.record(
        "allocation.run",
        run.run_id,
        {
            "seed": run.seed,
            "allocated": run.allocated,
            "unallocated": len(run.unallocated),
            "inputs_sha256": hashlib.sha256(blob).hexdigest(),
            "assignments_sha256": assignments_digest(zip(result.task_ids, assigned, strict=True)),
        },
    )


def assignments_digest(pairs: Iterable[tuple[str, str | None]]) -> str:
    """SHA-256 over the sorted ``task_id=officer_id`` lines of a run (recorded in its audit event)."""
    lines = sorted(f"{t}={o or ''}" for t, o in pairs)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def recheck_run(uow: UnitOfWork, run_id: str) -> list[str]:
    """Redo a recorded run from its stored inputs; returns task ids whose officer differs (empty = confirmed)."""
    row = uow.conn.execute(sa.select(allocation_runs).where(allocation_runs.c.run_id == run_id)).first()
    if row is None:
        raise NotFound(f"allocation run {run_id} not found / 分配记录不存在")
    if hashlib.sha256(row.inputs).hexdigest() != row.inputs_sha256:
        return ["<inputs altered>"]
    inputs = AllocationInputs.from_dict(json.loads(gzip.decompress(row.inputs)))
    recorded = [
        (r.task_id, r.officer_id)
        for r in uow.conn.execute(sa.select(allocations).where(allocations.c.run_id == run_id))
    ]
    event = uow.conn.execute(
        sa.select(audit_events.c.payload).where(
            audit_events.c.action == "allocation.run", audit_events.c.entity == run_id
        )
    ).first()
    if event is not None and json.loads(event.payload).get("assignments_sha256") != assignments_digest(recorded):
        return ["<allocation records differ from the audit trail>"]
    return recheck(inputs, recorded)
