"""The allocator: a seeded, weighted random draw of one officer per task (pure, no I/O).

Weight of officer *o* for task *t* (zero = not a candidate)::

    eligible  = same scope (grid if the task has one, else region; ``*`` = anywhere), role and level allowed,
                not forbidden (conflict of interest, rotation, excluded unit), workload < capacity
    weight    = level_fit(level - difficulty) * skill_fit * (capacity - workload) / capacity

``numpy.random.default_rng(seed).random(n)`` gives each task (in the given order) its ``u ~ U(0, 1)``;
the officer is the first whose cumulative weight exceeds ``u * total``. Tasks are drawn in chunks of
``CHUNK`` (256) in order; within a chunk the tasks of one candidate pool are drawn together with the
workloads as they stood at the start of the chunk, unless some candidate could run out of capacity,
in which case they are drawn one by one with the workload updated after each draw.
Given the same inputs and seed the result is identical, so anyone can re-check a run from its
recorded inputs (``AllocationInputs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

ANY_SCOPE = "*"
CHUNK = 256


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


def allocate(inputs: AllocationInputs, chunk: int = CHUNK) -> AllocationResult:
    """Draw one officer per task, in chunks; workloads grow as tasks are drawn."""
    st = _State(inputs)
    tasks = inputs.tasks
    us = np.random.default_rng(inputs.seed).random(len(tasks))
    out: list[Draw | None] = [None] * len(tasks)
    for start in range(0, len(tasks), chunk):
        groups: dict[tuple[object, ...], list[int]] = {}
        for i in range(start, min(start + chunk, len(tasks))):
            groups.setdefault(_pool_key(tasks[i]), []).append(i)
        for pool_key, idxs in groups.items():
            st.draw_group(pool_key, idxs, us, out)
    return AllocationResult([d for d in out if d is not None])


def _pool_key(t: TaskSlot) -> tuple[object, ...]:
    return (t.scope, t.grid, t.roles, t.min_level, t.exclude_units)


class _State:
    """Officers' arrays, candidate pools and base weights shared by the draws of one run."""

    def __init__(self, inputs: AllocationInputs) -> None:
        self.inputs = inputs
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
        key = _pool_key(t)
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

    def base(self, t: TaskSlot) -> np.ndarray:
        """Level-fit times skill-fit weights of the pool's officers for this task."""
        key = (*_pool_key(t), t.difficulty, t.skills)
        if key not in self.bases:
            cand, _ = self.pool(t)
            wanted = set(t.skills)
            skill = np.array(
                [1.0 if not wanted else (2.0 if wanted & set(self.offs[i].skills) else 0.5) for i in cand.tolist()]
            )
            self.bases[key] = level_fit(self.level[cand] - t.difficulty) * skill if len(cand) else np.zeros(0)
        return self.bases[key]

    def draw_group(self, pool_key: tuple[object, ...], idxs: list[int], us: np.ndarray, out: list[Draw | None]) -> None:
        """Draw the tasks ``idxs`` (same pool) at once, or one by one when a capacity could overflow."""
        tasks = self.inputs.tasks
        cand, position = self.pool(tasks[idxs[0]])
        if len(cand) == 0:
            for i in idxs:
                out[i] = Draw(tasks[i].task_id, None, float(us[i]), 0.0, 0.0, 0)
            return
        mask = np.ones((len(idxs), len(cand)))
        for r, i in enumerate(idxs):
            for f in tasks[i].forbidden:
                p = position.get(self.index.get(f, -1))
                if p is not None:
                    mask[r, p] = 0.0
        eligible = mask.sum(axis=1).astype(np.int64)
        base = np.stack([self.base(tasks[i]) for i in idxs]) * mask
        weights = base * self.room[cand]
        used = weights.any(axis=0)
        if len(idxs) > 1 and bool(((self.capacity[cand] - self.load[cand])[used] < len(idxs)).any()):
            for r, i in enumerate(idxs):  # near capacity: one by one, weights refreshed after each draw
                self._draw_rows(cand, base[r : r + 1] * self.room[cand], [i], eligible[r : r + 1], us, out)
            return
        self._draw_rows(cand, weights, idxs, eligible, us, out)

    def _draw_rows(
        self,
        cand: np.ndarray,
        weights: np.ndarray,
        idxs: list[int],
        eligible: np.ndarray,
        us: np.ndarray,
        out: list[Draw | None],
    ) -> None:
        tasks = self.inputs.tasks
        cum = np.cumsum(weights, axis=1)
        total = cum[:, -1]
        u = us[idxs]
        picks = np.minimum((cum <= (u * total)[:, None]).sum(axis=1), len(cand) - 1)
        rows = np.arange(len(idxs))
        for r in np.flatnonzero((weights[rows, picks] <= 0) & (total > 0)).tolist():
            while weights[r, picks[r]] <= 0:  # float edge at the top end
                picks[r] -= 1
        ok = total > 0
        chosen = cand[picks]
        np.add.at(self.load, chosen[ok], 1)
        touched = np.unique(chosen[ok])
        cap = self.capacity[touched]
        self.room[touched] = np.clip(cap - self.load[touched], 0, None) / np.maximum(cap, 1)
        officer_ids = [self.offs[c].officer_id for c in chosen.tolist()]
        for r, (i, okr, ur, wr, tr, er) in enumerate(
            zip(
                idxs,
                ok.tolist(),
                u.tolist(),
                weights[rows, picks].tolist(),
                total.tolist(),
                eligible.tolist(),
                strict=True,
            )
        ):
            out[i] = (
                Draw(tasks[i].task_id, officer_ids[r], ur, wr, tr, er)
                if okr
                else Draw(tasks[i].task_id, None, ur, 0.0, 0.0, 0)
            )


def recheck(inputs: AllocationInputs, recorded: Sequence[tuple[str, str | None]]) -> list[str]:
    """Re-run a recorded draw; returns the task ids whose officer differs (empty = confirmed)."""
    again = {d.task_id: d.officer_id for d in allocate(inputs).draws}
    return [task_id for task_id, officer_id in recorded if again.get(task_id) != officer_id]
