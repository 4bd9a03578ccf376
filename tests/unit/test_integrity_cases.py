"""Suspected integrity risks become restricted cases, allocated to discipline officers of another unit."""

from __future__ import annotations

from pathlib import Path

from integrity_scenarios import SCENARIOS
from integrity_world import baseline

from taxloop.integrity.cases import open_cases, propose_cases
from taxloop.integrity.service import run_integrity_scan
from taxloop.workflow.officer_sync import list_tasks, sync_officers
from taxloop.workflow.store import WorkflowStore


def test_scan_opens_restricted_case_for_other_unit(tmp_path: Path) -> None:
    world = baseline()
    world.officer("D1", level=4, role="discipline", unit="U1")  # same unit as the suspect: must never get it
    world.officer("D2", level=4, role="discipline", unit="U9")
    suspect, evidence = SCENARIOS["SELF_APPROVAL"](world, True)
    backend = world.backend(tmp_path / "wh")
    run_integrity_scan(backend)
    proposals = propose_cases(backend, top_share=0.05)
    assert [p.officer_id for p in proposals] == [suspect]
    assert "SELF_APPROVAL" in proposals[0].rule_codes and set(evidence) <= set(proposals[0].evidence)

    store = WorkflowStore.open(f"sqlite:///{tmp_path / 'wf.sqlite'}")
    try:
        with store.uow() as uow:
            sync_officers(uow, backend)
            ids, skipped = open_cases(uow, proposals, seed=1)
            uow.commit()
        assert len(ids) == 1 and skipped == []
        with store.uow() as uow:
            case = uow.tasks.get(ids[0])
            assert case.kind == "integrity" and case.restricted and case.subject_officer_id == suspect
            assert case.assignee_id == "D2"
            assert "SELF_APPROVAL" in case.indicators and set(evidence) <= set(case.hit_keys)
            assert [t.task_id for t in list_tasks(uow, "discipline", kind="integrity")] == ids
            assert list_tasks(uow, "administrator", kind="integrity") == []
            again, skipped = open_cases(uow, proposals, seed=2)
            assert again == [] and skipped == [suspect]
    finally:
        store.dispose()
    backend.close()
