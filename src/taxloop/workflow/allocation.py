"""The allocator: a seeded, weighted random draw of one officer per task (pure, no I/O).

Weight of officer *o* for task *t* (zero = not a candidate)::

    eligible  = same scope (grid if the task has one, else region; ``*`` = anywhere), role and level allowed,
                not forbidden (conflict of interest, rotation, excluded unit), workload < capacity
    weight    = level_fit(level - difficulty) * skill_fit * (capacity - workload) / capacity

``numpy.random.default_rng(seed).random(n)`` gives each task (in the given order) its ``u ~ U(0, 1)``;
the officer is the first whose cumulative weight exceeds ``u * total``. Tasks are drawn in chunks of
``CHUNK`` (1024) in order; within a chunk the tasks of one candidate pool are drawn together with the
workloads as they stood at the start of the chunk, unless some candidate could run out of capacity,
in which case they are drawn one by one with the workload updated after each draw.
Given the same inputs and seed the result is identical, so anyone can re-check a run from its
recorded inputs (``AllocationInputs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np

ANY_SCOPE = "*"
CHUNK = 1024


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
        names = [f.name for f in fields(TaskSlot)]
        return {
            "seed": self.seed,
            "officers": [asdict(o) for o in self.officers],
            "tasks": [{n: getattr(t, n) for n in names} for t in self.tasks],
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
    """Draws in task order, as arrays: officer index (-1 = none), u, chosen weight, total weight, eligible."""

    task_ids: list[str]
    officer_ids: list[str]
    officer: np.ndarray
    u: np.ndarray
    weight: np.ndarray
    total: np.ndarray
    eligible: np.ndarray

    @property
    def allocated(self) -> int:
        """Tasks that got an officer."""
        return int((self.officer >= 0).sum())

    def assigned(self) -> list[str | None]:
        """Officer id per task (None when no candidate)."""
        ids = self.officer_ids
        return [ids[k] if k >= 0 else None for k in self.officer.tolist()]

    @property
    def draws(self) -> list[Draw]:
        """One ``Draw`` per task."""
        return [
            Draw(t, o, u, w, tot, int(e))
            for t, o, u, w, tot, e in zip(
                self.task_ids,
                self.assigned(),
                self.u.tolist(),
                self.weight.tolist(),
                self.total.tolist(),
                self.eligible.tolist(),
                strict=True,
            )
        ]


def level_fit(gap: np.ndarray) -> np.ndarray:
    """Weight of an officer level minus task difficulty: best at 0..1, lower when over- or under-qualified."""
    g = gap.astype(np.float64)
    under = 0.25 ** np.maximum(-g, 0.0)
    over = 1.0 / np.maximum(g, 1.0)
    return np.where(g < 0, under, over)


def allocate(inputs: AllocationInputs, chunk: int = CHUNK) -> AllocationResult:
    """Draw one officer per task, in chunks; workloads grow as tasks are drawn."""
    st = _State(inputs)
    tasks = inputs.tasks
    n = len(tasks)
    res = AllocationResult(
        [t.task_id for t in tasks],
        [o.officer_id for o in inputs.officers],
        np.full(n, -1, dtype=np.int64),
        np.random.default_rng(inputs.seed).random(n),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n, dtype=np.int64),
    )
    pool_keys = [(t.scope, t.grid, t.roles, t.min_level, t.exclude_units) for t in tasks]
    for start in range(0, n, chunk):
        groups: dict[tuple[object, ...], list[int]] = {}
        for i in range(start, min(start + chunk, n)):
            groups.setdefault(pool_keys[i], []).append(i)
        for idxs in groups.values():
            st.draw_group(np.array(idxs, dtype=np.int64), res)
    return res


class _State:
    """Officers' arrays, candidate pools and base weights shared by the draws of one run."""

    def __init__(self, inputs: AllocationInputs) -> None:
        self.tasks = inputs.tasks
        self.offs = inputs.officers
        self.index = {o.officer_id: i for i, o in enumerate(self.offs)}
        self.level = np.array([o.level for o in self.offs], dtype=np.int64)
        self.capacity = np.array([max(o.capacity, 0) for o in self.offs], dtype=np.float64)
        self.load = np.array([o.workload for o in self.offs], dtype=np.float64)
        self.room = np.clip(self.capacity - self.load, 0, None) / np.maximum(self.capacity, 1)
        self.by_scope: dict[str, list[int]] = {}
        for i, o in enumerate(self.offs):
            self.by_scope.setdefault(o.scope, []).append(i)
        self.pools: dict[tuple[object, ...], tuple[np.ndarray, dict[int, int]]] = {}
        self.bases: dict[tuple[object, ...], np.ndarray] = {}

    def pool(self, t: TaskSlot) -> tuple[np.ndarray, dict[int, int]]:
        """Eligible officers for the task's scope, roles, level and unit exclusions (and their positions)."""
        key = (t.scope, t.grid, t.roles, t.min_level, t.exclude_units)
        if key not in self.pools:
            offs = self.offs
            where = range(len(offs)) if t.scope == ANY_SCOPE else self.by_scope.get(t.scope, [])
            keep = [
                i
                for i in where
                if offs[i].role in t.roles
                and offs[i].level >= t.min_level
                and offs[i].unit not in t.exclude_units
                and (t.grid is None or offs[i].grid == t.grid)
            ]
            self.pools[key] = (np.array(keep, dtype=np.int64), {i: p for p, i in enumerate(keep)})
        return self.pools[key]

    def base(self, t: TaskSlot, cand: np.ndarray) -> np.ndarray:
        """Level-fit times skill-fit weights of the pool's officers for this task."""
        key = (t.scope, t.grid, t.roles, t.min_level, t.exclude_units, t.difficulty, t.skills)
        found = self.bases.get(key)
        if found is None:
            wanted = set(t.skills)
            skill = np.array(
                [1.0 if not wanted else (2.0 if wanted & set(self.offs[i].skills) else 0.5) for i in cand.tolist()]
            )
            found = self.bases[key] = level_fit(self.level[cand] - t.difficulty) * skill
        return found

    def draw_group(self, idxs: np.ndarray, res: AllocationResult) -> None:
        """Draw the tasks ``idxs`` (same pool) at once, or one by one when a capacity could overflow."""
        tasks = self.tasks
        cand, position = self.pool(tasks[int(idxs[0])])
        if len(cand) == 0:
            return
        rows = idxs.tolist()
        base = np.stack([self.base(tasks[i], cand) for i in rows])
        for r, i in enumerate(rows):
            for f in tasks[i].forbidden:
                p = position.get(self.index.get(f, -1))
                if p is not None:
                    base[r, p] = 0.0
        res.eligible[idxs] = (base > 0).sum(axis=1)
        weights = base * self.room[cand]
        used = weights.any(axis=0)
        if len(rows) > 1 and bool(((self.capacity[cand] - self.load[cand])[used] < len(rows)).any()):
            for r in range(len(rows)):  # near capacity: one by one, weights refreshed after each draw
                self._draw_rows(cand, base[r : r + 1] * self.room[cand], idxs[r : r + 1], res)
            return
        self._draw_rows(cand, weights, idxs, res)

    def _draw_rows(self, cand: np.ndarray, weights: np.ndarray, idxs: np.ndarray, res: AllocationResult) -> None:
        cum = np.cumsum(weights, axis=1)
        total = cum[:, -1]
        picks = np.minimum((cum <= (res.u[idxs] * total)[:, None]).sum(axis=1), len(cand) - 1)
        rows = np.arange(len(idxs))
        for r in np.flatnonzero((weights[rows, picks] <= 0) & (total > 0)).tolist():
            while weights[r, picks[r]] <= 0:  # float edge at the top end
                picks[r] -= 1
        ok = total > 0
        chosen = cand[picks][ok]
        res.officer[idxs[ok]] = chosen
        res.weight[idxs[ok]] = weights[rows, picks][ok]
        res.total[idxs[ok]] = total[ok]
        np.add.at(self.load, chosen, 1)
        touched = np.unique(chosen)
        cap = self.capacity[touched]
        self.room[touched] = np.clip(cap - self.load[touched], 0, None) / np.maximum(cap, 1)


def recheck(inputs: AllocationInputs, recorded: Sequence[tuple[str, str | None]]) -> list[str]:
    """Re-run a recorded draw; returns the task ids whose officer differs (empty = confirmed)."""
    res = allocate(inputs)
    again = dict(zip(res.task_ids, res.assigned(), strict=True))
    return [task_id for task_id, officer_id in recorded if again.get(task_id) != officer_id]
