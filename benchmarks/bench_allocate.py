"""Benchmark: allocate 160,000 tasks over 1,000 officers (target < 30 s).

Two figures: the pure allocator (``taxloop.workflow.allocation.allocate``) and the whole service
(``allocate_tasks``: read pushed tasks and officers from the store, exclude conflicts and rotation,
draw, write assignments, the allocation records and one audit event per task) on a SQLite store.

    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_allocate.py --tasks 160000 --officers 1000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np

from taxloop.workflow.allocation import AllocationInputs, OfficerSlot, TaskSlot, allocate
from taxloop.workflow.assign import allocate_tasks, recheck_run
from taxloop.workflow.models import Officer, Task
from taxloop.workflow.store import WorkflowStore

SKILLS = ("vat", "cit", "invoice", "iit", "property_land", "network")


def make_officers(n: int, regions: int, rng: np.random.Generator) -> list[Officer]:
    """Officers spread over regions and units, levels 2-5, one or two skills, a phone each."""
    return [
        Officer(
            officer_id=f"O{i:05d}",
            name=f"官员{i}",
            unit_code=f"U{i % (regions * 3):03d}",
            region_code=f"R{i % regions:02d}",
            role="inspector",
            level=int(rng.integers(2, 6)),
            skills=sorted(set(rng.choice(SKILLS, size=int(rng.integers(1, 3))).tolist())),
            capacity=400,
            phone=f"139{i:08d}",
        )
        for i in range(n)
    ]


def make_tasks(n: int, regions: int, n_officers: int, rng: np.random.Generator, now: datetime) -> list[Task]:
    """Pushed risk tasks; 5 % carry a phone that equals an officer's (conflict of interest)."""
    out = []
    for i in range(n):
        persons = {"phones": [f"139{int(rng.integers(0, n_officers)):08d}"]} if rng.random() < 0.05 else {}
        out.append(
            Task(
                task_id=f"T{i:07d}",
                kind="risk",
                matter_code="RISK_RESPONSE",
                entity_id=f"E{i:07d}",
                tins=[f"TIN{i:07d}"],
                region_code=f"R{i % regions:02d}",
                status="pushed",
                difficulty=int(rng.integers(2, 6)),
                skills=[str(rng.choice(SKILLS))],
                persons=persons,
                indicators=["VAT_A"],
                created_at=now,
            )
        )
    return out


def bench_pure(tasks: list[Task], officers: list[Officer], seed: int) -> float:
    """Time the allocator alone on slots built from the same data."""
    offs = [
        OfficerSlot(o.officer_id, o.region_code, None, o.unit_code, o.role, o.level, tuple(o.skills), o.capacity, 0)
        for o in officers
    ]
    slots = [
        TaskSlot(t.task_id, t.region_code, None, t.difficulty, tuple(t.skills), ("administrator", "inspector"), 2)
        for t in tasks
    ]
    start, cpu = time.perf_counter(), time.process_time()
    res = allocate(AllocationInputs(seed, offs, slots))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    loads = Counter(d.officer_id for d in res.draws)
    print(
        f"pure allocator: {len(tasks):,} tasks over {len(officers):,} officers in {elapsed:.2f} s wall, "
        f"{cpu:.2f} s CPU "
        f"(allocated {res.allocated:,}; per officer min {min(loads.values())} max {max(loads.values())})"
    )
    return elapsed


def bench_service(tasks: list[Task], officers: list[Officer], seed: int, url: str | None) -> float:
    """Time ``allocate_tasks`` on a store already holding the pushed tasks and officers."""
    with tempfile.TemporaryDirectory() as tmp:
        store = WorkflowStore.open(url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        with store.uow() as uow:
            uow.officers.upsert_many(officers)
            uow.tasks.add_many(tasks)
            uow.commit()
        start, cpu = time.perf_counter(), time.process_time()
        with store.uow(actor="bench") as uow:
            run = allocate_tasks(uow, seed)
            uow.commit()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"service allocate_tasks ({store.engine.dialect.name}): {run.allocated:,} allocated, "
            f"{len(run.unallocated):,} unallocated, {run.conflicts_excluded:,} conflicts excluded "
            f"in {elapsed:.2f} s wall, "
            f"{cpu:.2f} s CPU"
        )
        start = time.perf_counter()
        with store.uow() as uow:
            diff = recheck_run(uow, run.run_id)
        print(f"recheck of the run: {len(diff)} differences in {time.perf_counter() - start:.2f} s wall")
        store.dispose()
    return elapsed


def main() -> None:
    """Parse arguments and run both benchmarks."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=160_000)
    ap.add_argument("--officers", type=int, default=1_000)
    ap.add_argument("--regions", type=int, default=10)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--url", default=None, help="workflow store URL (default: a temporary SQLite file)")
    ap.add_argument("--skip-service", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    now = datetime(2026, 11, 23, 9)
    officers = make_officers(args.officers, args.regions, rng)
    tasks = make_tasks(args.tasks, args.regions, args.officers, rng, now)
    print(f"machine load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    bench_pure(tasks, officers, args.seed)
    if not args.skip_service:
        bench_service(tasks, officers, args.seed, args.url)


if __name__ == "__main__":
    main()
