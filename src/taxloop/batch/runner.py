"""Run batch matters: select recipients in the warehouse, add new notices to the outbox, deliver them.

Idempotent: a notice is unique per (matter, taxpayer, notice key), so a rerun on the same day (or a later day in
the same period) adds and sends nothing twice. Every step is in the outbox's event trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from jinja2 import Environment, StrictUndefined

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.batch.outbox import Notice, Outbox
from taxloop.batch.senders import Sender
from taxloop.batch.spec import BatchMatter
from taxloop.rules.compile import bind_params

TaskOpener = Callable[[BatchMatter, Notice], None]


@dataclass
class MatterResult:
    """What one matter did in a run."""

    code: str
    selected: int = 0
    new: int = 0
    already: int = 0
    skipped_reason: str = ""


@dataclass
class RunReport:
    """What a run did."""

    run_id: str
    as_of: str
    matters: list[MatterResult] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    tasks_opened: int = 0


def matter_sql(matter: BatchMatter, as_of: date) -> str:
    """The matter's selection SQL with ``:as_of`` and its parameters bound (pure)."""
    values: dict[str, object] = {k: p.default for k, p in matter.params.items()}
    values["as_of"] = as_of.isoformat()
    return bind_params(matter.sql, values, "duckdb", matter.code).sql(dialect="duckdb")


def render(matter: BatchMatter, row: dict[str, object]) -> dict[str, str]:
    """Subject and body in zh and en for one selected row (missing template values are an error)."""
    env = Environment(undefined=StrictUndefined, autoescape=False)
    ctx = {k: ("" if v is None else v) for k, v in row.items()}
    return {
        "subject_zh": env.from_string(matter.zh.subject).render(ctx),
        "body_zh": env.from_string(matter.zh.body).render(ctx),
        "subject_en": env.from_string(matter.en.subject).render(ctx),
        "body_en": env.from_string(matter.en.body).render(ctx),
    }


def _deliver(sender: Sender | None, notice: Notice) -> tuple[bool, str]:
    """Send one notice; (ok, receipt or error text)."""
    if sender is None:
        return False, f"no sender for channel {notice.channel}"
    try:
        return True, sender.send(notice)
    except OSError as exc:
        return False, f"{type(exc).__name__}: {exc}"


def run_batch(
    backend: AnalyticsBackend,
    outbox: Outbox,
    matters: list[BatchMatter],
    as_of: date,
    senders: dict[str, Sender],
    open_task: TaskOpener | None = None,
) -> RunReport:
    """Select, render and enqueue every active matter, then deliver everything pending."""
    report = RunReport(run_id=f"B{as_of:%Y%m%d}-{uuid.uuid4().hex[:8]}", as_of=as_of.isoformat())
    outbox.log(report.run_id, "started", f"as_of={as_of.isoformat()}")
    for matter in matters:
        result = MatterResult(matter.code)
        report.matters.append(result)
        if matter.status != "active":
            result.skipped_reason = f"status {matter.status}"
            continue
        missing = [t for t in matter.tables if not backend.has_table(t)]
        if missing:
            result.skipped_reason = f"missing tables: {', '.join(missing)}"
            outbox.log(report.run_id, "skipped", f"{matter.code}: {result.skipped_reason}")
            continue
        rows = backend.query(matter_sql(matter, as_of)).to_pylist()
        result.selected = len(rows)
        done = outbox.existing_keys(matter.code)
        fresh = []
        for row in rows:
            key = (str(row["tin"]), str(row["notice_key"]))
            if key in done:
                result.already += 1
                continue
            done.add(key)
            fresh.append(
                {
                    "matter_code": matter.code,
                    "tin": key[0],
                    "notice_key": key[1],
                    "channel": matter.channel,
                    **render(matter, row),
                }
            )
        result.new = outbox.add(report.run_id, fresh)
    by_code = {m.code: m for m in matters}
    results: list[tuple[int, bool, str]] = []
    for notice in outbox.pending():
        ok, detail = _deliver(senders.get(notice.channel), notice)
        results.append((notice.id, ok, detail))
        if not ok:
            report.failed += 1
            continue
        report.sent += 1
        origin = by_code.get(notice.matter_code)
        if open_task is not None and origin is not None and origin.creates_task:
            open_task(origin, notice)
            report.tasks_opened += 1
    outbox.mark_many(report.run_id, results)
    outbox.log(report.run_id, "finished", f"sent={report.sent} failed={report.failed}")
    return report
