"""Allocation, responses, guard, review, integrity cases, visibility, feedback and simulation on a real store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from wf_helpers import FakeClock, officer

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.workflow.assign import allocate_tasks, recheck_run
from taxloop.workflow.errors import NotAllowed, ResponseRefused, StaleVersion, StepBlocked
from taxloop.workflow.feedback import write_effectiveness
from taxloop.workflow.guard import GuardDecision, StepContext
from taxloop.workflow.models import ResponseInput, Task
from taxloop.workflow.officer_sync import list_tasks
from taxloop.workflow.responses import overdue_open, respond
from taxloop.workflow.review import allocate_reviews, officer_performance, select_for_review, submit_review
from taxloop.workflow.simulate import simulate_responses
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import allocations, tasks


def _task(tid: str, entity: str = "E1", **kw: object) -> Task:
    base: dict[str, object] = {
        "task_id": tid,
        "kind": "risk",
        "matter_code": "RISK_RESPONSE",
        "entity_id": entity,
        "tins": [f"T{entity}"],
        "region_code": "R1",
        "status": "pushed",
        "indicators": ["VAT_A"],
        "created_at": FakeClock().now,
    }
    return Task.model_validate({**base, **kw})


def _setup(store: WorkflowStore, tasks_: list[Task], n_officers: int = 4) -> None:
    with store.uow() as uow:
        uow.officers.upsert_many(
            [officer(f"O{i}", unit=f"U{i % 2}") for i in range(n_officers)]
            + [officer("BOSS", role="leader", level=5), officer("DISC", role="discipline", unit="U9", level=4)]
        )
        uow.tasks.add_many(tasks_)
        uow.commit()


GOOD = ResponseInput(
    steps=["desk_review", "contact", "conclude"],
    outputs=["response_report"],
    record={"doubts_checked": "all", "method": "desk", "conclusion": "ok"},
    finding="no_issue",
)


def test_conflict_of_interest_and_rotation_never_drawn(store: WorkflowStore) -> None:
    _setup(store, [_task(f"T{i}", entity=f"E{i}", persons={"phones": ["13800000001"]}) for i in range(40)])
    with store.uow() as uow:
        uow.officers.upsert_many([officer("O0", unit="U0", phone="+86 138 0000 0001")])
        run = allocate_tasks(uow, seed=3)
        uow.commit()
        assigned = {t.task_id: t.assignee_id for t in uow.tasks.find()}
        assert run.allocated == 40 and "O0" not in assigned.values()
        assert recheck_run(uow, run.run_id) == []
    # rotation: the next task of E1 never goes to whoever had E1's last task
    with store.uow() as uow:
        last = assigned["T1"]
        uow.tasks.add_many([_task(f"N{i}", entity="E1") for i in range(20)])
        allocate_tasks(uow, seed=4, rotation_depth=1)
        got = {t.assignee_id for t in uow.tasks.find(tasks.c.task_id.like("N%"))}
        assert last not in got and len(got) >= 2


def test_allocation_is_reproducible(store: WorkflowStore) -> None:
    _setup(store, [_task(f"T{i}", entity=f"E{i}") for i in range(30)])
    with store.uow() as uow:
        allocate_tasks(uow, seed=11)
        first = {t.task_id: t.assignee_id for t in uow.tasks.find()}
        uow.rollback()
        run = allocate_tasks(uow, seed=11)
        assert first == {t.task_id: t.assignee_id for t in uow.tasks.find()}
        uow.commit()
        assert recheck_run(uow, run.run_id) == []
        uow.conn.execute(allocations.update().where(allocations.c.task_id == "T3").values(officer_id="O-x"))
        assert recheck_run(uow, run.run_id) == ["<allocation records differ from the audit trail>"]


def test_response_refused_then_accepted_and_stale(store: WorkflowStore, clock: FakeClock) -> None:
    _setup(store, [_task("T1")])
    with store.uow() as uow:
        allocate_tasks(uow, seed=1)
        uow.commit()
        t = uow.tasks.get("T1")
        other = next(o for o in ("O0", "O1", "O2", "O3") if o != t.assignee_id)
        with pytest.raises(NotAllowed):
            respond(uow, "T1", other, GOOD)
        bad = ResponseInput(steps=["desk_review"], outputs=[], record={"method": "desk"}, finding="adjusted")
        with pytest.raises(ResponseRefused) as err:
            respond(uow, "T1", str(t.assignee_id), bad)
        assert set(err.value.missing) == {
            "step:contact",
            "step:conclude",
            "record:doubts_checked",
            "record:conclusion",
            "output:response_report",
            "tax_recovered(>0)",
            "evidence",
        }
        with pytest.raises(StaleVersion):
            respond(uow, "T1", str(t.assignee_id), GOOD, version=t.version - 1)
        clock.advance(days=31)
        done = respond(uow, "T1", str(t.assignee_id), GOOD, version=t.version)
        uow.commit()
        assert done.status == "finished" and done.overdue is True and done.finding == "no_issue"


class FakeGuard:
    def __init__(self, level: str) -> None:
        self.level = level
        self.seen: list[StepContext] = []

    def check(self, step_context: StepContext) -> GuardDecision:
        self.seen.append(step_context)
        return GuardDecision(self.level, ("night approval",), ("INT_OFF_HOURS",))  # type: ignore[arg-type]


def test_guard_block_override_and_remind(store: WorkflowStore) -> None:
    _setup(store, [_task("T1"), _task("T2", entity="E2")])
    with store.uow() as uow:
        allocate_tasks(uow, seed=1)
        uow.commit()
        t1, t2 = uow.tasks.get("T1"), uow.tasks.get("T2")
        block = FakeGuard("block")
        with pytest.raises(StepBlocked) as err:
            respond(uow, "T1", str(t1.assignee_id), GOOD, guard=block)
        assert err.value.rule_codes == ["INT_OFF_HOURS"] and block.seen[0].step == "conclude"
        with pytest.raises(NotAllowed):
            respond(uow, "T1", str(t1.assignee_id), GOOD, guard=block, override_by=str(t2.assignee_id))
        respond(uow, "T1", str(t1.assignee_id), GOOD, guard=block, override_by="BOSS")
        respond(uow, "T2", str(t2.assignee_id), GOOD, guard=FakeGuard("remind"))
        uow.commit()
        actions = [
            r.action
            for r in uow.conn.execute(__import__("sqlalchemy").text("SELECT action FROM wf_audit_events ORDER BY seq"))
        ]
    assert "guard.override" in actions and "guard.remind" in actions


def test_review_cross_unit_and_integrity_case(
    store: WorkflowStore, clock: FakeClock, tmp_path: Path, backend: DuckDBBackend
) -> None:
    _setup(store, [_task(f"T{i}", entity=f"E{i}", tins=[f"TIN{i}"]) for i in range(40)], n_officers=6)
    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "taxpayer_schemes.csv").write_text(
        "tin,true_entity_id,scheme,gang_id,role,tax_evaded\nTIN1,E1,under_reported_sales,,,1000.00\n"
        "TIN2,E2,pass_through,G1,pass_through,5000\n",
        encoding="utf-8",
    )
    with store.uow() as uow:
        allocate_tasks(uow, seed=2)
        sim = simulate_responses(uow, truth, seed=1, overdue_share=0.5)
        uow.commit()
        assert sim.answered == 40 and sim.findings["fraud"] == 1 and sim.findings["adjusted"] == 1
        assert 0 < sim.overdue < 40 and Decimal(850) < sim.tax_recovered <= Decimal(6000)
        picked = select_for_review(uow, share=0.1, seed=5)
        assert len(picked) == 4
        assert select_for_review(uow, share=0.1, seed=5) == []  # each finished task is drawn from once
        run = allocate_reviews(uow, seed=5)
        uow.commit()
        assert run.allocated == 4
        units = {o.officer_id: o.unit_code for o in uow.officers.all()}
        for r in uow.tasks.find(tasks.c.kind == "review"):
            assert units[str(r.assignee_id)] != units[str(r.subject_officer_id)]
        first = uow.tasks.find(tasks.c.kind == "review")[0]
        from taxloop.workflow.models import ReviewInput

        case = submit_review(
            uow,
            first.task_id,
            str(first.assignee_id),
            ReviewInput(
                standard_followed=False,
                policy_right=True,
                result_fair=False,
                integrity_doubt=True,
                note="closed too fast",
            ),
        )
        uow.commit()
        assert case is not None
        perf = {p.officer_id: p for p in officer_performance(uow)}
        assert perf[str(first.subject_officer_id)].integrity_doubts == 1
        assert all(t.kind != "integrity" for t in list_tasks(uow, "inspector", limit=1000))
        assert [t.task_id for t in list_tasks(uow, "discipline", kind="integrity")] == [case]
        n = write_effectiveness(uow, backend)
    eff = {r["code"]: r for r in n}
    assert eff["VAT_A"]["tasks"] == 40 and eff["VAT_A"]["productive"] == 2
    rows = backend.query("SELECT finding, count(*) AS n FROM task_outcomes GROUP BY 1 ORDER BY 1").to_pylist()
    assert rows == [{"finding": "adjusted", "n": 1}, {"finding": "fraud", "n": 1}, {"finding": "no_issue", "n": 38}]


def test_overdue_open_tracked(store: WorkflowStore, clock: FakeClock) -> None:
    _setup(store, [_task("T1")])
    with store.uow() as uow:
        allocate_tasks(uow, seed=1)
        assert overdue_open(uow) == []
        clock.advance(days=40)
        assert [t.task_id for t in overdue_open(uow)] == ["T1"]


def test_simulated_reviews_judge_each_drawn_task_against_the_truth(store: WorkflowStore, tmp_path: Path) -> None:
    from taxloop.dashboard.figures import compute
    from taxloop.workflow.simulate import simulate_reviews
    from taxloop.workflow.tables import reviews

    _setup(store, [_task(f"T{i}", entity=f"E{i}") for i in range(40)], n_officers=6)
    truth = tmp_path / "truth"
    truth.mkdir()
    planted = {f"TE{i}" for i in range(0, 40, 2)}  # every second taxpayer carries a scheme
    (truth / "taxpayer_schemes.csv").write_text(
        "tin,true_entity_id,scheme,gang_id,role,tax_evaded\n"
        + "".join(f"{tin},{tin[1:]},under_reported_sales,,,1000\n" for tin in sorted(planted)),
        encoding="utf-8",
    )
    with store.uow() as uow:
        allocate_tasks(uow, seed=2)
        sim = simulate_responses(uow, truth, seed=4, overdue_share=0.3, miss_share=0.3)
        assert sim.answered == 40 and sim.missed > 0
        assert sim.findings["adjusted"] == len(planted) - sim.missed
        picked = select_for_review(uow, share=1.0, seed=5)
        allocate_reviews(uow, seed=5)
        rev = simulate_reviews(uow, truth)
        uow.commit()
        assert rev.reviewed == len(picked) == 40
        parents = {t.task_id: t for t in uow.tasks.find(tasks.c.kind == "risk")}
        rows = list(uow.conn.execute(reviews.select()))
        expected_failed = 0
        for r in rows:
            parent = parents[r.task_id]
            right = (parent.finding == "adjusted") == (parent.tins[0] in planted)
            assert r.standard_followed is (not parent.overdue)
            assert r.policy_right is right and r.result_fair is right
            expected_failed += bool(parent.overdue or not right)
        # every miss and every late answer is caught, nothing else
        assert rev.failed == expected_failed >= sim.missed
        fig = compute(uow.conn, "bureau")[0]
        assert fig.reviews_done == 40 and fig.review_failure_rate == expected_failed / 40
