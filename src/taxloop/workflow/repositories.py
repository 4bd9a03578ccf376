"""Repositories: the only code that reads and writes workflow rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import sqlalchemy as sa

from taxloop.workflow.bulk import bulk_insert, bulk_update_versioned
from taxloop.workflow.errors import NotFound, StaleVersion
from taxloop.workflow.models import OPEN_STATUSES, Officer, Task
from taxloop.workflow.tables import officers, tasks

_CHUNK = 5000


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@cache
def _task_by_id(for_update: bool) -> sa.Select[Any]:
    """One task by ``task_id`` (a bind parameter; built once)."""
    q = sa.select(tasks).where(tasks.c.task_id == sa.bindparam("task_id", type_=sa.String))
    return q.with_for_update() if for_update else q


class TaskRepo:
    """Tasks: load, insert, optimistic update and the queries generation and allocation need."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def get(self, task_id: str, for_update: bool = False) -> Task:
        """One task or ``NotFound``."""
        q = _task_by_id(for_update and self.conn.dialect.name == "postgresql")
        row = self.conn.execute(q, {"task_id": task_id}).mappings().first()
        if row is None:
            raise NotFound(f"task {task_id} not found / 任务不存在")
        return Task.model_validate(dict(row))

    def find(self, *where: sa.ColumnElement[bool], order: Any = None, limit: int | None = None) -> list[Task]:
        """Tasks matching every condition (ordered by task_id unless told)."""
        q = sa.select(tasks).where(*where).order_by(order if order is not None else tasks.c.task_id)
        if limit:
            q = q.limit(limit)
        return [Task.model_validate(dict(r)) for r in self.conn.execute(q).mappings()]

    def add_many(self, items: Sequence[Task]) -> None:
        """Insert new tasks."""
        bulk_insert(self.conn, tasks, [t.row() for t in items])

    def update(self, task_id: str, version: int, **values: Any) -> int:
        """Update one task if it still has ``version``; bumps it; ``StaleVersion`` otherwise. Returns new version."""
        stmt = (
            tasks.update()
            .where(tasks.c.task_id == task_id, tasks.c.version == version)
            .values(version=version + 1, **values)
        )
        if self.conn.execute(stmt).rowcount != 1:
            self.get(task_id)
            raise StaleVersion(task_id, version)
        return version + 1

    def update_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Bulk optimistic update: each row has ``task_id``, ``version`` (read) and new values (same keys).

        ``StaleVersion`` (and nothing kept, once the caller rolls back) if any task moved on meanwhile.
        """
        if not rows:
            return
        changed = bulk_update_versioned(self.conn, tasks, "task_id", rows)
        if changed != len(rows):
            raise StaleVersion(f"{len(rows) - changed} of {len(rows)} tasks", int(rows[0]["version"]))

    def open_hit_keys(self, entity_ids: Iterable[str]) -> dict[str, set[str]]:
        """Hit keys already covered by open risk tasks, per entity."""
        ids = list(set(entity_ids))
        out: dict[str, set[str]] = {}
        for part in _chunks(ids):
            q = sa.select(tasks.c.entity_id, tasks.c.hit_keys).where(
                tasks.c.kind == "risk", tasks.c.status.in_(OPEN_STATUSES), tasks.c.entity_id.in_(part)
            )
            for entity_id, keys in self.conn.execute(q):
                out.setdefault(entity_id, set()).update(keys)
        return out

    def last_assignees(self, entity_ids: Iterable[str], depth: int) -> dict[str, list[str]]:
        """Officers who handled each entity's last ``depth`` allocated tasks (rotation)."""
        ids = list(set(e for e in entity_ids if e))
        out: dict[str, list[str]] = {}
        for part in _chunks(ids):
            q = (
                sa.select(tasks.c.entity_id, tasks.c.assignee_id)
                .where(tasks.c.entity_id.in_(part), tasks.c.assignee_id.is_not(None), tasks.c.kind == "risk")
                .order_by(tasks.c.entity_id, tasks.c.allocated_at.desc(), tasks.c.task_id.desc())
            )
            for entity_id, officer_id in self.conn.execute(q):
                seen = out.setdefault(entity_id, [])
                if len(seen) < depth:
                    seen.append(officer_id)
        return out

    def workload(self) -> Counter[str]:
        """Open (allocated, unfinished) tasks per officer."""
        q = (
            sa.select(tasks.c.assignee_id, sa.func.count())
            .where(tasks.c.status == "allocated", tasks.c.assignee_id.is_not(None))
            .group_by(tasks.c.assignee_id)
        )
        return Counter({str(k): int(v) for k, v in self.conn.execute(q)})


class OfficerRepo:
    """Officers synced from the warehouse."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def upsert_many(self, items: Sequence[Officer]) -> int:
        """Replace officers by id; returns how many were written."""
        ids = [o.officer_id for o in items]
        for part in _chunks(ids):
            self.conn.execute(officers.delete().where(officers.c.officer_id.in_(part)))
        for chunk in _chunks(items):
            self.conn.execute(officers.insert(), [o.model_dump() for o in chunk])
        return len(items)

    def get(self, officer_id: str) -> Officer:
        """One officer or ``NotFound``."""
        row = self.conn.execute(sa.select(officers).where(officers.c.officer_id == officer_id)).mappings().first()
        if row is None:
            raise NotFound(f"officer {officer_id} not found / 人员不存在")
        return Officer.model_validate(dict(row))

    def all(self, active_only: bool = True) -> list[Officer]:
        """Every officer (active ones by default), ordered by id."""
        q = sa.select(officers).order_by(officers.c.officer_id)
        if active_only:
            q = q.where(officers.c.active.is_(True))
        return [Officer.model_validate(dict(r)) for r in self.conn.execute(q).mappings()]
