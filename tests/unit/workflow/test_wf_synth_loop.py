"""Closed loop on a small synthetic city: officers and taxpayers from the city, crafted scan results, truth answers.

Checks what only real-shaped data can: planted conflict-of-interest officers (same ID number or phone as a
taxpayer's legal representative or finance officer) never get that taxpayer, every task stays in its region,
simulated responses follow the truth, the effectiveness feedback separates a good indicator from a useless one,
and the audit trail of the whole run verifies.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.synth.city import generate_city
from taxloop.synth.params import SynthParams
from taxloop.workflow import audit
from taxloop.workflow.assign import allocate_tasks
from taxloop.workflow.feedback import write_effectiveness
from taxloop.workflow.generation import generate_tasks, iso_week, push_tasks
from taxloop.workflow.officer_sync import sync_officers
from taxloop.workflow.review import allocate_reviews, select_for_review
from taxloop.workflow.simulate import simulate_responses
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import tasks
from taxloop.workflow.textnorm import norm_phone, norm_text

pytestmark = pytest.mark.slow

SCAN_SQL = """
WITH reg AS (
  SELECT e.entity_id, min(t.region_code) AS region_code, list(DISTINCT t.tin) AS tins
  FROM taxpayers t JOIN entity_map e USING (registration_id) GROUP BY 1),
planted AS (
  SELECT DISTINCT true_entity_id AS entity_id FROM read_csv('{truth}/taxpayer_schemes.csv', all_varchar=true)),
related AS (
  SELECT DISTINCT e.entity_id FROM taxpayers t JOIN entity_map e USING (registration_id)
  JOIN officers o ON o.id_number IN (t.legal_rep_id, t.finance_officer_id) OR o.phone = t.phone)
SELECT r.entity_id, r.region_code, r.tins, p.entity_id IS NOT NULL AS planted
FROM reg r LEFT JOIN planted p USING (entity_id)
WHERE p.entity_id IS NOT NULL OR r.entity_id IN (SELECT entity_id FROM related) OR hash(r.entity_id) % 10 = 0
ORDER BY r.entity_id
"""


def _warehouse(city: Path, root: Path) -> DuckDBBackend:
    b = DuckDBBackend(Warehouse(root).ensure())
    for name in ("officers", "taxpayers"):
        b.write_arrow(name, b.query(f"SELECT * FROM read_csv('{city}/{name}.csv', all_varchar=true)"))
    b.write_arrow(
        "entity_map",
        b.query(
            f"SELECT registration_id, t.tin, true_entity_id AS entity_id "
            f"FROM read_csv('{city}/truth/entities.csv', all_varchar=true) "
            f"JOIN read_csv('{city}/taxpayers.csv', all_varchar=true) t USING (registration_id)"
        ),
    )
    picked = b.query(SCAN_SQL.format(truth=city / "truth")).to_pylist()
    scores, hits = [], []
    for i, r in enumerate(picked):
        code = "IND_GOOD" if r["planted"] else "IND_NOISE"
        scores.append(
            {
                "scan_id": "S1",
                "rank": i + 1,
                "entity_id": r["entity_id"],
                "tins": r["tins"],
                "score": 90.0 if r["planted"] else 40.0,
                "level": "high" if r["planted"] else "medium",
                "indicators": [code],
                "selection": "indicator",
                "region_code": r["region_code"],
            }
        )
        hits += [
            {
                "scan_id": "S1",
                "code": code,
                "subject_id": r["entity_id"],
                "tin": tin,
                "period": "2025-06",
                "category": "vat",
            }
            for tin in r["tins"]
        ]
    b.write_arrow("risk_scores", pa.Table.from_pylist(scores))
    b.write_arrow("indicator_hits", pa.Table.from_pylist(hits))
    return b


def test_closed_loop_on_synthetic_city(tmp_path: Path) -> None:
    city = tmp_path / "city"
    generate_city(city, SynthParams(taxpayers=1500, months=24, seed=11), show_progress=False)
    backend = _warehouse(city, tmp_path / "wh")
    store = WorkflowStore.open(f"sqlite:///{tmp_path / 'wf.sqlite'}")
    with store.uow(actor="itest") as uow:
        assert sync_officers(uow, backend, capacity=500) > 0
        gen = generate_tasks(uow, backend, weekly_quota=10_000)
        push_tasks(uow, iso_week(uow.now(), 52))
        run = allocate_tasks(uow, seed=7)
        uow.commit()
        officers = {o.officer_id: o for o in uow.officers.all(active_only=False)}
        allocated = uow.tasks.find(tasks.c.kind == "risk")
        assert gen.created == len(allocated) > 100
        assert run.conflicts_excluded > 0, "the city plants officers related to taxpayers"
        assert run.allocated + len(run.unallocated) == gen.created and run.allocated > 0.9 * gen.created
        for t in allocated:
            if t.assignee_id is None:
                continue
            o = officers[t.assignee_id]
            assert o.region_code == t.region_code
            assert norm_text(o.id_number) not in t.persons.get("ids", [])
            assert norm_phone(o.phone) not in t.persons.get("phones", []) or not norm_phone(o.phone)
        sim = simulate_responses(uow, city / "truth", seed=3)
        planted_tasks = sum(1 for t in allocated if t.assignee_id and "IND_GOOD" in t.indicators)
        assert sim.findings["fraud"] + sim.findings["adjusted"] == planted_tasks
        picked = select_for_review(uow, share=0.1, seed=3)
        reviews = allocate_reviews(uow, seed=3)
        assert len(picked) == round(0.1 * sim.answered) and reviews.allocated == len(picked)
        eff = {r["code"]: r for r in write_effectiveness(uow, backend)}
        uow.commit()
        assert eff["IND_GOOD"]["hit_rate"] == 1.0 and eff["IND_NOISE"]["hit_rate"] == 0.0
        assert eff["IND_GOOD"]["tax_recovered"] > 0
        assert audit.verify(uow.conn).ok
    store.dispose()
    backend.close()
