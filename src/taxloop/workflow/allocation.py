"""The allocator: a seeded, weighted random draw of one officer per task (pure, no I/O).

Weight of officer *o* for task *t* (zero = not a candidate)::

    eligible  = same scope (grid if the task has one, else region; ``*`` = anywhere), role and level allowed,
                not forbidden (conflict of interest, rotation, excluded unit), workload < capacity
    weight    = level_fit(level - difficulty) * skill_fit * (capacity - workload) / capacity

Tasks are drawn in the given order with one ``numpy`` generator seeded by ``seed``; each draw is
``u ~ U(0, 1)`` and the officer is the first whose cumulative weight exceeds ``u * total``.
Given the same inputs and seed the result is identical, so anyone can re-check a run from its
recorded inputs (``AllocationInputs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

ANY_SCOPE = "*"


@dataclass(frozen=True)
class OfficerSlot:
    """An officer as the allocator sees them."""

    officer_id: str
    scope: str
    grid: str | None
    unit: str
    role: str
    level: int
    skills: tuple[str, ...]
    capacity: int
    workload: int


@dataclass(frozen=True)
class TaskSlot:
    """A task as the allocator sees it."""

    task_id: str
    scope: str
    grid: str | None
    difficulty: int
    skills: tuple[str, ...]
    roles: tuple[str, ...]
    min_level: int
    forbidden: tuple[str, ...] = ()
    exclude_units: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllocationInputs:
    """Everything a draw depends on (recorded with each run)."""

    seed: int
    officers: list[OfficerSlot]
    tasks: list[TaskSlot]

    def to_dict(self) -> dict[str, object]:
        """Plain data (for JSON)."""
        return {
            "seed": self.seed,
            "officers": [asdict(o) for o in self.officers],
            "tasks": [asdict(t) for t in self.tasks],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> AllocationInputs:
        """Back from ``to_dict``."""
        officers = [OfficerSlot(**{**o, "skills": tuple(o["skills"])}) for o in data["officers"]]  # type: ignore[attr-defined]
        tasks = [
            TaskSlot(**{**t, **{k: tuple(t[k]) for k in ("skills", "roles", "forbidden", "exclude_units")}})
            for t in data["tasks"]  # type: ignore[attr-defined]
        ]
        return cls(int(data["seed"]), officers, tasks)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Draw:
    """One task's draw: chosen officer (None when no candidate), u, its weight and the total."""

    task_id: str
    officer_id: str | None
    draw: float
    weight: float
    total_weight: float
    candidates: int


@dataclass
class AllocationResult:
    """Draws in task order and the officers' workload after the run."""

    draws: list[Draw] = field(default_factory=list)

    @property
    def allocated(self) -> int:
        """Tasks that got an officer."""
        return sum(1 for d in self.draws if d.officer_id is not None)


def level_fit(gap: np.ndarray) -> np.ndarray:
    """Weight of an officer level minus task difficulty: best at 0..1, lower when over- or under-qualified."""
    g = gap.astype(np.float64)
    under = 0.25 ** np.maximum(-g, 0.0)
    over = 1.0 / np.maximum(g, 1.0)
    return np.where(g < 0, under, over)


def allocate(inputs: AllocationInputs) -> AllocationResult:
    """Draw one officer per task; workloads grow as tasks are drawn."""
    offs = inputs.officers
    index = {o.officer_id: i for i, o in enumerate(offs)}
    level = np.array([o.level for o in offs], dtype=np.int64)
    capacity = np.array([max(o.capacity, 0) for o in offs], dtype=np.float64)
    load = np.array([o.workload for o in offs], dtype=np.float64)
    by_scope: dict[str, np.ndarray] = {}
    for scope in sorted({o.scope for o in offs}):
        by_scope[scope] = np.array([i for i, o in enumerate(offs) if o.scope == scope], dtype=np.int64)
    empty = np.array([], dtype=np.int64)
    rng = np.random.default_rng(inputs.seed)
    base_cache: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}
    result = AllocationResult()
    for t in inputs.tasks:
        u = float(rng.random())
        key = (t.scope, t.grid, t.difficulty, t.skills, t.roles, t.min_level, t.exclude_units)
        cached = base_cache.get(key)
        if cached is None:
            cand = np.arange(len(offs), dtype=np.int64) if t.scope == ANY_SCOPE else by_scope.get(t.scope, empty)
            keep = [
                i
                for i in cand
                if offs[i].role in t.roles
                and offs[i].level >= t.min_level
                and offs[i].unit not in t.exclude_units
                and (t.grid is None or offs[i].grid == t.grid)
            ]
            cand = np.array(keep, dtype=np.int64)
            skill = np.array(
                [1.0 if not t.skills else (2.0 if set(t.skills) & set(offs[i].skills) else 0.5) for i in cand],
                dtype=np.float64,
            )
            base = level_fit(level[cand] - t.difficulty) * skill if len(cand) else np.array([], dtype=np.float64)
            cached = base_cache[key] = (cand, base)
        cand, base = cached
        weights = base * np.clip(capacity[cand] - load[cand], 0, None) / np.maximum(capacity[cand], 1)
        if t.forbidden:
            bad = {index[f] for f in t.forbidden if f in index}
            if bad:
                weights = weights * np.array([0.0 if i in bad else 1.0 for i in cand])
        total = float(weights.sum())
        n = int(np.count_nonzero(weights))
        if total <= 0:
            result.draws.append(Draw(t.task_id, None, u, 0.0, 0.0, 0))
            continue
        pick = int(np.searchsorted(np.cumsum(weights), u * total, side="right"))
        pick = min(pick, len(cand) - 1)
        while weights[pick] <= 0:  # guard against float edge at the top
            pick -= 1
        chosen = int(cand[pick])
        load[chosen] += 1
        result.draws.append(Draw(t.task_id, offs[chosen].officer_id, u, float(weights[pick]), total, n))
    return result


def recheck(inputs: AllocationInputs, recorded: Sequence[tuple[str, str | None]]) -> list[str]:
    """Re-run a recorded draw; returns the task ids whose officer differs (empty = confirmed)."""
    again = {d.task_id: d.officer_id for d in allocate(inputs).draws}
    return [task_id for task_id, officer_id in recorded if again.get(task_id) != officer_id]
