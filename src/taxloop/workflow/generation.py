"""Task generation from a scan and the push plan.

One task per resolved taxpayer per batch carrying all its hits (never one task per hit); no new
task while an open one already covers the same hits; a push plan spreads tasks over weeks with a
quota per region and week, keeping the random-sample share in every week.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.sqltext import lit
from taxloop.workflow.models import Task
from taxloop.workflow.tables import batches, push_plan, tasks
from taxloop.workflow.textnorm import as_list, persons_of
from taxloop.workflow.uow import UnitOfWork

LEVEL_DIFFICULTY = {"high": 4, "medium": 3, "low": 2}


def iso_week(at: datetime, plus: int = 0) -> str:
    """ISO week label like ``2026-W48`` (sortable), ``plus`` weeks after ``at``."""
    year, week, _ = (at + timedelta(weeks=plus)).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class GenerationResult:
    """What a generation run did."""

    batch_id: str
    scan_id: str
    created: int = 0
    skipped_covered: int = 0
    random_sample: int = 0
    plan: dict[str, dict[str, int]] = field(default_factory=dict)


def difficulty_of(level: str | None, n_hits: int, n_tins: int) -> int:
    """Task difficulty 1..5 from the risk level, number of hits and of TINs."""
    base = LEVEL_DIFFICULTY.get(str(level), 2)
    if n_hits >= 8 or n_tins > 1:
        base += 1
    return max(1, min(5, base))


def read_hits(backend: AnalyticsBackend, scan_id: str) -> dict[str, list[dict[str, Any]]]:
    """A scan's indicator hits per subject (resolved taxpayer): code, tin, period, category."""
    hits: dict[str, list[dict[str, Any]]] = defaultdict(list)
    sql = f"SELECT subject_id, code, tin, period, category FROM indicator_hits WHERE scan_id = {lit(scan_id)}"
    for h in backend.query(sql).to_pylist():
        hits[str(h["subject_id"])].append(h)
    return hits


def hit_keys(hits: list[dict[str, Any]]) -> list[str]:
    """The distinct ``code|tin|period`` keys of a taxpayer's hits, sorted (what an open task covers)."""
    return sorted({f"{h['code']}|{h['tin']}|{h['period'] or ''}" for h in hits})


def risk_task(
    task_id: str,
    batch_id: str,
    scan_id: str,
    entity: str,
    hits: list[dict[str, Any]],
    keys: list[str],
    *,
    tins: list[str],
    region_code: str,
    selection: str,
    score: float | None,
    level: str | None,
    persons: dict[str, list[str]],
    created_at: datetime,
    matter_code: str = "RISK_RESPONSE",
    fallback_codes: list[str] | None = None,
    push_week: str | None = None,
) -> Task:
    """Pure: one risk task for a taxpayer carrying ``keys`` of its ``hits`` (TINs default to the hits' TINs)."""
    task_tins = tins or sorted({str(h["tin"]) for h in hits}) or [entity]
    return Task(
        task_id=task_id,
        kind="risk",
        matter_code=matter_code,
        batch_id=batch_id,
        scan_id=scan_id,
        entity_id=entity,
        tins=task_tins,
        region_code=region_code,
        selection=selection,
        score=score,
        level=level,
        indicators=sorted({k.split("|", 1)[0] for k in keys}) or list(fallback_codes or []),
        hit_keys=keys,
        difficulty=difficulty_of(level, len(keys), len(task_tins)),
        skills=sorted({str(h["category"]) for h in hits if h.get("category")}),
        persons=persons,
        push_week=push_week,
        created_at=created_at,
    )


def read_persons(backend: AnalyticsBackend, scan_id: str, entity_ids: set[str]) -> dict[str, dict[str, list[str]]]:
    """Conflict keys per entity of a scan from ``taxpayers`` (through ``entity_map`` when present)."""
    if not backend.has_table("taxpayers"):
        return {}
    cols = "t.legal_rep_id, t.finance_officer_id, t.phone, t.address"
    scan = f"(SELECT entity_id FROM risk_scores WHERE scan_id = {lit(scan_id)})"
    if backend.has_table("entity_map"):
        sql = (
            f"SELECT m.entity_id, {cols} FROM taxpayers t JOIN entity_map m USING (registration_id) "
            f"WHERE m.entity_id IN {scan}"
        )
    else:
        sql = f"SELECT t.tin AS entity_id, {cols} FROM taxpayers t WHERE t.tin IN {scan}"
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in backend.query(sql).to_pylist():
        if row["entity_id"] in entity_ids:
            grouped[row["entity_id"]].append(row)
    return {e: persons_of(rows) for e, rows in grouped.items()}


def latest_scan(backend: AnalyticsBackend) -> str:
    """The last scan id in ``risk_scores``."""
    rows = backend.query("SELECT max(scan_id) AS s FROM risk_scores").to_pylist()
    if not rows or rows[0]["s"] is None:
        raise ValueError("risk_scores is empty: run `taxloop scan` first / 请先运行风险扫描")
    return str(rows[0]["s"])


def generate_tasks(
    uow: UnitOfWork,
    backend: AnalyticsBackend,
    scan_id: str | None = None,
    levels: tuple[str, ...] = ("high", "medium"),
    weekly_quota: int = 1000,
    region_quota: dict[str, int] | None = None,
    matter_code: str = "RISK_RESPONSE",
) -> GenerationResult:
    """Create one risk task per selected taxpayer of a scan, dedupe against open tasks, plan the pushes."""
    for name in ("risk_scores", "indicator_hits"):
        if not backend.has_table(name):
            raise ValueError(f"derived table {name} is absent: run `taxloop scan` first / 缺少{name}")
    scan = scan_id or latest_scan(backend)
    now = uow.now()
    batch_id = f"B{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    scores = backend.query(f"SELECT * FROM risk_scores WHERE scan_id = {lit(scan)} ORDER BY rank").to_pylist()
    picked = [r for r in scores if str(r.get("level")) in levels or str(r.get("selection")) == "random"]
    hits = read_hits(backend, scan)
    entity_ids = {str(r["entity_id"]) for r in picked}
    covered = uow.tasks.open_hit_keys(entity_ids)
    persons = read_persons(backend, scan, entity_ids)
    result = GenerationResult(batch_id, scan)
    new: list[Task] = []
    for r in picked:
        entity = str(r["entity_id"])
        mine = hits.get(entity, [])
        keys = hit_keys(mine)
        fresh = [k for k in keys if k not in covered.get(entity, set())]
        if keys and not fresh:
            result.skipped_covered += 1
            continue
        if not keys and entity in covered:
            result.skipped_covered += 1
            continue
        selection = str(r.get("selection") or "indicator")
        result.random_sample += selection == "random"
        new.append(
            risk_task(
                f"{batch_id}-{len(new) + 1:06d}",
                batch_id,
                scan,
                entity,
                mine,
                fresh,
                tins=as_list(r.get("tins")),
                region_code=str(r.get("region_code") or "UNKNOWN"),
                selection=selection,
                score=float(r["score"]) if r.get("score") is not None else None,
                level=str(r.get("level")),
                persons=persons.get(entity, {}),
                created_at=now,
                matter_code=matter_code,
                fallback_codes=as_list(r.get("indicators")),
            )
        )
    result.plan = plan_pushes(new, now, weekly_quota, region_quota or {})
    uow.tasks.add_many(new)
    result.created = len(new)
    uow.conn.execute(
        batches.insert().values(
            batch_id=batch_id,
            scan_id=scan,
            created_at=now,
            tasks=len(new),
            params={"levels": list(levels), "weekly_quota": weekly_quota, "region_quota": region_quota or {}},
        )
    )
    plan_rows = [
        {"batch_id": batch_id, "region_code": reg, "week": wk, "planned": n[0], "random_planned": n[1]}
        for reg, weeks in _plan_counts(new).items()
        for wk, n in weeks.items()
    ]
    if plan_rows:
        uow.conn.execute(push_plan.insert(), plan_rows)
    for t in new:
        uow.record(
            "task.generate",
            t.task_id,
            {"entity_id": t.entity_id, "hits": len(t.hit_keys), "selection": t.selection, "push_week": t.push_week},
        )
    uow.record(
        "batch.generate", batch_id, {"scan_id": scan, "created": len(new), "skipped_covered": result.skipped_covered}
    )
    return result


def plan_pushes(
    items: list[Task], now: datetime, weekly_quota: int, region_quota: dict[str, int]
) -> dict[str, dict[str, int]]:
    """Give each task a push week: per region at most the quota a week, random samples spread evenly."""
    by_region: dict[str, list[Task]] = defaultdict(list)
    for t in items:
        by_region[t.region_code].append(t)
    for region, group in by_region.items():
        quota = max(1, region_quota.get(region, weekly_quota))
        rand = sorted((t for t in group if t.selection == "random"), key=lambda t: t.task_id)
        rest = sorted((t for t in group if t.selection != "random"), key=lambda t: (-(t.score or 0), t.task_id))
        share = len(rand) / len(group)
        taken_rand = week = 0
        while rand or rest:
            target = round((week + 1) * quota * share) - taken_rand
            n_rand = min(len(rand), max(0, target), quota)
            chunk = rand[:n_rand] + rest[: quota - n_rand]
            if len(chunk) < quota:
                chunk += rand[n_rand : n_rand + quota - len(chunk)]
            for t in chunk:
                t.push_week = iso_week(now, week)
            taken_rand += sum(1 for t in chunk if t.selection == "random")
            chosen = {t.task_id for t in chunk}
            rand = [t for t in rand if t.task_id not in chosen]
            rest = [t for t in rest if t.task_id not in chosen]
            week += 1
    return {r: {w: n[0] for w, n in weeks.items()} for r, weeks in _plan_counts(items).items()}


def _plan_counts(items: list[Task]) -> dict[str, dict[str, tuple[int, int]]]:
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for t in items:
        c = counts[t.region_code][str(t.push_week)]
        c[0] += 1
        c[1] += t.selection == "random"
    return {r: {w: (v[0], v[1]) for w, v in sorted(weeks.items())} for r, weeks in sorted(counts.items())}


def push_tasks(uow: UnitOfWork, until_week: str | None = None) -> int:
    """Push every generated task whose plan week is ``until_week`` or earlier (default: this week)."""
    now = uow.now()
    week = until_week or iso_week(now)
    due = uow.tasks.find(tasks.c.status == "generated", tasks.c.push_week <= week)
    uow.tasks.update_many(
        [{"task_id": t.task_id, "version": t.version, "status": "pushed", "pushed_at": now} for t in due]
    )
    for t in due:
        uow.record("task.push", t.task_id, {"week": t.push_week})
    return len(due)
