"""Task generation: one task per taxpayer with all hits, no duplicates while open, push plan keeps the sample share."""

from __future__ import annotations

import pyarrow as pa
from wf_helpers import FakeClock, write_scan

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.workflow.generation import generate_tasks, iso_week, push_tasks
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import tasks


def _hits(entity: str, codes: list[str], tin: str | None = None) -> list[dict[str, object]]:
    return [{"entity_id": entity, "code": c, "tin": tin or entity} for c in codes]


def test_one_task_per_taxpayer_with_all_hits(store: WorkflowStore, backend: DuckDBBackend) -> None:
    write_scan(
        backend,
        "S1",
        [{"entity_id": "E1", "tins": ["T1", "T1b"]}, {"entity_id": "E2"}, {"entity_id": "E3", "level": "low"}],
        _hits("E1", ["VAT_A", "VAT_B"], "T1")
        + _hits("E1", ["INV_C"], "T1b")
        + _hits("E2", ["VAT_A"])
        + _hits("E3", ["VAT_A"]),
    )
    with store.uow() as uow:
        res = generate_tasks(uow, backend)
        uow.commit()
        got = {t.entity_id: t for t in uow.tasks.find(tasks.c.kind == "risk")}
    assert res.created == 2 and set(got) == {"E1", "E2"}  # E3 is low level: not selected
    assert got["E1"].indicators == ["INV_C", "VAT_A", "VAT_B"] and len(got["E1"].hit_keys) == 3
    assert got["E1"].tins == ["T1", "T1b"] and got["E1"].difficulty == 5  # high + two TINs


def test_no_new_task_while_open_one_covers_hits(store: WorkflowStore, backend: DuckDBBackend, clock: FakeClock) -> None:
    write_scan(backend, "S1", [{"entity_id": "E1"}], _hits("E1", ["VAT_A"]))
    with store.uow() as uow:
        generate_tasks(uow, backend)
        uow.commit()
    clock.advance(seconds=1)
    write_scan(backend, "S2", [{"entity_id": "E1"}], _hits("E1", ["VAT_A"]))
    with store.uow() as uow:
        again = generate_tasks(uow, backend)
        uow.commit()
    assert again.scan_id == "S2" and again.created == 0 and again.skipped_covered == 1
    clock.advance(seconds=1)
    write_scan(backend, "S3", [{"entity_id": "E1"}], _hits("E1", ["VAT_A", "CIT_X"]))
    with store.uow() as uow:
        third = generate_tasks(uow, backend)
        uow.commit()
        new = uow.tasks.find(tasks.c.batch_id == third.batch_id)
    assert third.created == 1 and new[0].indicators == ["CIT_X"]


def test_push_plan_quota_and_random_share(store: WorkflowStore, backend: DuckDBBackend, clock: FakeClock) -> None:
    ents = [
        {
            "entity_id": f"E{i:03d}",
            "region_code": "R1" if i % 2 else "R2",
            "score": float(i),
            "selection": "random" if i % 5 == 0 else "indicator",
            "level": "high" if i % 5 else "low",
        }
        for i in range(100)
    ]
    write_scan(backend, "S1", ents, [h for e in ents for h in _hits(str(e["entity_id"]), ["VAT_A"])])
    with store.uow() as uow:
        res = generate_tasks(uow, backend, weekly_quota=10)
        uow.commit()
        all_tasks = uow.tasks.find()
    assert res.created == 100 and res.random_sample == 20
    weeks: dict[tuple[str, str], list[str]] = {}
    for t in all_tasks:
        weeks.setdefault((t.region_code, str(t.push_week)), []).append(t.selection)
    assert max(len(v) for v in weeks.values()) == 10 and len(weeks) == 10  # 50 per region / 10 a week
    for sel in weeks.values():
        assert sel.count("random") == 2  # the 20 % sample share holds in every week
    first = iso_week(clock.now)
    assert sorted(res.plan["R1"]) == [iso_week(clock.now, k) for k in range(5)]
    # the highest scores go first
    r1_first = [t for t in all_tasks if t.region_code == "R1" and t.push_week == first and t.selection != "random"]
    assert min(t.score or 0 for t in r1_first) > 80
    with store.uow() as uow:
        assert push_tasks(uow) == 20
        assert push_tasks(uow, iso_week(clock.now, 1)) == 20
        uow.commit()
        assert len(uow.tasks.find(tasks.c.status == "pushed")) == 40


def test_persons_read_through_entity_map(store: WorkflowStore, backend: DuckDBBackend) -> None:
    backend.write_arrow(
        "taxpayers",
        pa.Table.from_pylist(
            [
                {
                    "registration_id": "G1",
                    "tin": "T1",
                    "legal_rep_id": "110101199001011234",
                    "finance_officer_id": None,
                    "phone": "+86 138-0000-0001",
                    "address": "深圳市 福田区 1号",
                },
                {
                    "registration_id": "G2",
                    "tin": "T2",
                    "legal_rep_id": "220",
                    "finance_officer_id": "330",
                    "phone": None,
                    "address": None,
                },
            ]
        ),
    )
    backend.write_arrow(
        "entity_map",
        pa.Table.from_pylist(
            [
                {"registration_id": "G1", "tin": "T1", "entity_id": "E1"},
                {"registration_id": "G2", "tin": "T2", "entity_id": "E1"},
            ]
        ),
    )
    write_scan(backend, "S1", [{"entity_id": "E1"}], _hits("E1", ["VAT_A"]))
    with store.uow() as uow:
        generate_tasks(uow, backend)
        (t,) = uow.tasks.find()
    assert t.persons == {
        "ids": ["110101199001011234", "220", "330"],
        "phones": ["13800000001"],
        "addresses": ["深圳市福田区1号"],
    }
