"""The pure allocator: reproducible, weighted, within scope and capacity, never to a forbidden officer."""

from __future__ import annotations

from collections import Counter

from taxloop.workflow.allocation import AllocationInputs, OfficerSlot, TaskSlot, allocate, recheck


def _off(
    oid: str,
    scope: str = "R1",
    level: int = 3,
    skills: tuple[str, ...] = (),
    capacity: int = 1000,
    unit: str = "U1",
    role: str = "inspector",
    workload: int = 0,
) -> OfficerSlot:
    return OfficerSlot(oid, scope, None, unit, role, level, skills, capacity, workload)


def _task(
    tid: str,
    scope: str = "R1",
    difficulty: int = 3,
    skills: tuple[str, ...] = (),
    forbidden: tuple[str, ...] = (),
    exclude_units: tuple[str, ...] = (),
) -> TaskSlot:
    return TaskSlot(tid, scope, None, difficulty, skills, ("inspector",), 1, forbidden, exclude_units)


def _run(officers: list[OfficerSlot], tasks: list[TaskSlot], seed: int = 1) -> dict[str, str | None]:
    return {d.task_id: d.officer_id for d in allocate(AllocationInputs(seed, officers, tasks)).draws}


def test_same_seed_same_draw_other_seed_differs() -> None:
    offs = [_off(f"O{i}") for i in range(20)]
    tasks = [_task(f"T{i}") for i in range(200)]
    assert _run(offs, tasks, 5) == _run(offs, tasks, 5)
    assert _run(offs, tasks, 5) != _run(offs, tasks, 6)


def test_scope_role_and_forbidden_respected() -> None:
    offs = [_off("A"), _off("B"), _off("C", scope="R2"), _off("D", role="analyst")]
    tasks = [_task(f"T{i}", forbidden=("A",)) for i in range(300)]
    got = _run(offs, tasks)
    assert set(got.values()) == {"B"}


def test_excluded_unit_never_drawn() -> None:
    offs = [_off("A", unit="U1"), _off("B", unit="U2"), _off("C", unit="U3")]
    got = _run(offs, [_task(f"T{i}", exclude_units=("U1",)) for i in range(300)])
    assert "A" not in got.values() and {"B", "C"} == set(got.values())


def test_capacity_and_workload_limit() -> None:
    offs = [_off("A", capacity=5, workload=3), _off("B", capacity=2)]
    got = _run(offs, [_task(f"T{i}") for i in range(10)])
    c = Counter(got.values())
    assert c["A"] == 2 and c["B"] == 2 and c[None] == 6


def test_level_fit_and_skills_shift_the_odds() -> None:
    big = 10**6
    offs = [
        _off("FIT", level=4, capacity=big),
        _off("LOW", level=1, capacity=big),
        _off("SKILL", level=4, skills=("invoice",), capacity=big),
    ]
    got = Counter(_run(offs, [_task(f"T{i}", difficulty=4, skills=("invoice",)) for i in range(3000)]).values())
    # weights: SKILL 1*2=2, FIT 1*0.5=0.5, LOW 0.25**3*0.5 ~ 0.008 (before workload)
    assert got["SKILL"] > 2.5 * got["FIT"] > 0
    assert got["LOW"] < 0.02 * 3000


def test_workload_spreads_tasks() -> None:
    offs = [_off(f"O{i}", capacity=100) for i in range(10)]
    got = Counter(_run(offs, [_task(f"T{i}") for i in range(500)]).values())
    assert max(got.values()) - min(got.values()) < 25


def test_recheck_confirms_and_catches_change() -> None:
    offs = [_off(f"O{i}") for i in range(5)]
    inputs = AllocationInputs(9, offs, [_task(f"T{i}") for i in range(50)])
    draws = allocate(inputs).draws
    recorded = [(d.task_id, d.officer_id) for d in draws]
    assert recheck(AllocationInputs.from_dict(inputs.to_dict()), recorded) == []
    tampered = [*recorded[:-1], (recorded[-1][0], "O-other")]
    assert recheck(inputs, tampered) == [recorded[-1][0]]
