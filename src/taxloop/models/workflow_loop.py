"""The closed loop through the workflow platform: push, allocate, respond, review, feed back, retrain.

Unlike :func:`taxloop.models.loop.simulate` (an oracle answers in memory), every cycle here goes
through the real services on a workflow store of its own (``<warehouse>/loop/workflow.sqlite``):
risk tasks are created and pushed for the chosen taxpayers, allocated by the seeded allocator
(conflicts of interest and rotation excluded), answered by the simulated officers
(:func:`taxloop.workflow.simulate.simulate_responses`, with a share of missed cases), 10 % drawn
for cross review and answered (:func:`simulate_reviews`), fed back to ``task_outcomes`` with the
indicator effectiveness (:func:`write_effectiveness`), and the next cycle's model is retrained from
the warehouse (``audit_outcomes`` plus ``task_outcomes``, :func:`train_from_warehouse`) and promoted.

Cohorts, policies and the counterfactual are those of :mod:`taxloop.models.loop`: the taxpayers not
audited before are split at random into one cohort per cycle; cycle 0 pushes what the expert rules
flag, later cycles push P(finding) >= threshold ranked by the calibrated blend; each cycle measures
"rules alone" on the same cohort with the truth, at the simulated officers' expected answer
(planted tax x (1 - miss share) x 0.925, the mean recovered share of :func:`simulate_responses`).
Every figure of the learned policy is read back from the workflow store.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.models.blend import blend_scores
from taxloop.models.dataset import load_frame, read_outcomes
from taxloop.models.loop import expert_selection
from taxloop.models.registry import ModelRegistry
from taxloop.models.report import attach_truth, read_truth
from taxloop.models.service import train_from_warehouse
from taxloop.models.training import TrainConfig
from taxloop.workflow.assign import allocate_tasks
from taxloop.workflow.feedback import write_effectiveness
from taxloop.workflow.generation import hit_keys, iso_week, latest_scan, push_tasks, read_hits, read_persons, risk_task
from taxloop.workflow.models import Task
from taxloop.workflow.officer_sync import sync_officers
from taxloop.workflow.review import allocate_reviews, select_for_review
from taxloop.workflow.simulate import simulate_responses, simulate_reviews
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import tasks
from taxloop.workflow.uow import UnitOfWork

MEAN_RECOVERED_SHARE = 0.925  # mean of uniform(0.85, 1.0) in simulate_responses


@dataclass(frozen=True)
class WorkflowLoopConfig:
    """Parameters of a loop through the workflow services."""

    cycles: int = 4
    threshold: float = 0.5
    random_share: float = 0.05
    model_share: float = 0.3
    miss_share: float = 0.05
    review_share: float = 0.1
    cycle_days: int = 120
    capacity: int = 400
    seed: int = 20261123
    train: TrainConfig = field(default_factory=TrainConfig)


class Clock:
    """The loop's clock: each cycle starts ``cycle_days`` after the previous one."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _entity_context(
    backend: AnalyticsBackend, scan_id: str
) -> tuple[dict[str, list[str]], dict[str, list[dict[str, Any]]]]:
    """TINs per entity (``entity_map``) and indicator hits per entity of the scan."""
    tins: dict[str, list[str]] = {}
    if backend.has_table("entity_map"):
        for r in backend.query(
            "SELECT entity_id, list(DISTINCT tin ORDER BY tin) AS tins FROM entity_map GROUP BY 1"
        ).to_pylist():
            tins[str(r["entity_id"])] = [str(t) for t in r["tins"]]
    return tins, read_hits(backend, scan_id)


def make_tasks(
    chosen: pd.DataFrame, selection: list[str], cycle: int, scan_id: str, now: datetime, context: dict[str, Any]
) -> list[Task]:
    """Pure: one generated risk task per chosen taxpayer, as ``generate_tasks`` builds them."""
    tins, hits, persons = context["tins"], context["hits"], context["persons"]
    out = []
    for i, (row, sel) in enumerate(zip(chosen.itertuples(index=False), selection, strict=True)):
        entity = str(row.entity_id)
        mine = hits.get(entity, [])
        level = str(getattr(row, "expert_level", "") or "")
        out.append(
            risk_task(
                f"LOOP{cycle}-{i + 1:06d}",
                f"LOOP{cycle}",
                scan_id,
                entity,
                mine,
                hit_keys(mine),
                tins=tins.get(entity, []),
                region_code=str(getattr(row, "region_code", None) or "UNKNOWN"),
                selection=sel,
                score=float(row.expert_score),
                level=level or None,
                persons=persons.get(entity, {}),
                created_at=now,
                push_week=iso_week(now),
            )
        )
    return out


def _cycle_figures(uow: UnitOfWork, cycle: int) -> dict[str, Any]:
    """Figures of one cycle read from the workflow store (pushed policy vs random sample, reviews)."""
    rows = uow.tasks.find(tasks.c.batch_id == f"LOOP{cycle}", tasks.c.kind == "risk")
    out: dict[str, Any] = {}
    for name, group in (
        ("", [t for t in rows if t.selection != "random"]),
        ("random_", [t for t in rows if t.selection == "random"]),
    ):
        done = [t for t in group if t.status in ("finished", "closed")]
        hits = sum(t.finding in ("adjusted", "fraud") for t in done)
        money = float(sum((t.tax_recovered or 0) for t in done))
        out[f"{name}tasks"] = len(group)
        out[f"{name}answered"] = len(done)
        out[f"{name}hit_rate"] = hits / len(done) if done else 0.0
        if not name:
            out["recovered"] = money
            out["recovered_per_task"] = money / len(done) if done else 0.0
    reviews = uow.tasks.find(tasks.c.kind == "review", tasks.c.parent_task_id.like(f"LOOP{cycle}-%"))
    out["reviews"] = len(reviews)
    out["reviews_failed"] = sum(t.finding == "adjusted" for t in reviews)
    return out


def run_workflow_loop(
    backend: AnalyticsBackend,
    registry: ModelRegistry,
    truth: Path,
    work: Path,
    cfg: WorkflowLoopConfig,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run ``cfg.cycles`` cycles through the workflow services; one result row per cycle."""
    rng = np.random.default_rng(cfg.seed)
    entity_map = (
        backend.query("SELECT DISTINCT tin, entity_id FROM entity_map").to_pandas()
        if backend.has_table("entity_map")
        else None
    )
    frame = attach_truth(load_frame(backend), read_truth(truth, entity_map)).reset_index(drop=True)
    history = read_outcomes(backend)
    start = pd.Timestamp(history["closed_on"].max()).to_pydatetime() + timedelta(days=30)
    fresh = np.flatnonzero(~frame["entity_id"].isin(set(history["entity_id"].astype(str))).to_numpy())
    cohorts = np.array_split(rng.permutation(fresh), cfg.cycles)
    scan_id = latest_scan(backend)
    tins, hits = _entity_context(backend, scan_id)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    clock = Clock(start.replace(hour=9, minute=0, second=0, microsecond=0))
    store = WorkflowStore.open(f"sqlite:///{work / 'workflow.sqlite'}", clock=clock)
    rows: list[dict[str, Any]] = []
    try:
        with store.uow(actor="loop") as uow:
            sync_officers(uow, backend, capacity=cfg.capacity)
            uow.commit()
        for cycle in range(cfg.cycles):
            clock.now = start + timedelta(days=cfg.cycle_days * cycle)
            pool = frame.iloc[np.sort(cohorts[cycle])]
            base_idx = expert_selection(pool, None)
            base = pool.loc[base_idx]
            expected = base["tax_evaded"].sum() * (1 - cfg.miss_share) * MEAN_RECOVERED_SHARE
            info: dict[str, Any] = {"cycle": cycle, "pool": len(pool), "pool_positives": int(pool["positive"].sum())}
            info.update(
                {
                    "expert_tasks": len(base),
                    "expert_hit_rate": float(base["positive"].mean() * (1 - cfg.miss_share)) if len(base) else 0.0,
                    "expert_recovered": float(expected),
                    "expert_recovered_per_task": float(expected / len(base)) if len(base) else 0.0,
                }
            )
            if cycle == 0:
                chosen_idx, policy = base_idx, "expert"
            else:
                out = train_from_warehouse(backend, registry, cfg.train, note=f"workflow loop cycle {cycle}")
                registry.promote(out.version)
                p = out.model.predict(pool)
                combined = blend_scores(
                    pool["expert_score"].to_numpy(), p, cfg.model_share, out.model.expert_calibration
                )
                n = int((p >= cfg.threshold).sum())
                chosen_idx = pool.index[np.argsort(-combined, kind="stable")[:n]]
                policy = "model+expert"
                info.update({"model_version": out.version, "labelled": out.labelled, "label_sources": out.sources})
            rest = pool.drop(index=chosen_idx)
            n_random = min(len(rest), round(cfg.random_share * len(rest)))
            random_idx = rest.index[rng.choice(len(rest), size=n_random, replace=False)] if n_random else rest.index[:0]
            chosen = pd.concat([pool.loc[chosen_idx], pool.loc[random_idx]])
            selection = ["indicator" if cycle == 0 else "model"] * len(chosen_idx) + ["random"] * len(random_idx)
            with store.uow(actor="loop") as uow:
                persons = read_persons(backend, scan_id, set(chosen["entity_id"].astype(str)))
                context = {"tins": tins, "hits": hits, "persons": persons}
                uow.tasks.add_many(make_tasks(chosen, selection, cycle, scan_id, clock.now, context))
                push_tasks(uow, iso_week(clock.now))
                run = allocate_tasks(uow, seed=cfg.seed + cycle)
                sim = simulate_responses(uow, truth, seed=cfg.seed + cycle, miss_share=cfg.miss_share)
                picked = select_for_review(uow, cfg.review_share, cfg.seed + cycle)
                allocate_reviews(uow, cfg.seed + cycle, [t.task_id for t in picked])
                simulate_reviews(uow, truth)
                write_effectiveness(uow, backend)
                info.update({"policy": policy, "allocated": run.allocated, "unallocated": len(run.unallocated)})
                info.update({"missed": sim.missed, **_cycle_figures(uow, cycle)})
                uow.commit()
            rows.append(info)
            if progress:
                progress(cycle)
    finally:
        store.dispose()
    return rows
