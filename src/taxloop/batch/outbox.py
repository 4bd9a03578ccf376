"""The outbox: every notice a batch matter produces, unique per (matter, taxpayer, notice key), with its trail.

Stored with SQLAlchemy Core in the workflow database (SQLite by default, PostgreSQL in production). The unique
constraint is what makes a rerun send nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

metadata = sa.MetaData()

notices = sa.Table(
    "batch_notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(40), nullable=False, index=True),
    sa.Column("matter_code", sa.String(40), nullable=False),
    sa.Column("tin", sa.String(64), nullable=False),
    sa.Column("notice_key", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("subject_zh", sa.Text, nullable=False),
    sa.Column("body_zh", sa.Text, nullable=False),
    sa.Column("subject_en", sa.Text, nullable=False),
    sa.Column("body_en", sa.Text, nullable=False),
    sa.Column("status", sa.String(10), nullable=False, default="pending"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("error", sa.Text),
    sa.UniqueConstraint("matter_code", "tin", "notice_key", name="uq_notice_once"),
)

events = sa.Table(
    "batch_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("notice_id", sa.Integer, sa.ForeignKey("batch_notices.id"), nullable=True),
    sa.Column("run_id", sa.String(40), nullable=False),
    sa.Column("ts", sa.DateTime, nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("detail", sa.Text),
)


@dataclass(frozen=True)
class Notice:
    """A rendered notice waiting to go out."""

    id: int
    matter_code: str
    tin: str
    notice_key: str
    channel: str
    subject_zh: str
    body_zh: str
    subject_en: str
    body_en: str


class Outbox:
    """Repository over the outbox tables."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    def existing_keys(self, matter_code: str) -> set[tuple[str, str]]:
        """(tin, notice_key) pairs already in the outbox for a matter."""
        q = sa.select(notices.c.tin, notices.c.notice_key).where(notices.c.matter_code == matter_code)
        with self.engine.connect() as con:
            return {(r[0], r[1]) for r in con.execute(q)}

    def add(self, run_id: str, rows: list[dict[str, str]]) -> int:
        """Insert new notices (pending) and a 'created' event each, in one transaction; returns how many."""
        if not rows:
            return 0
        now = datetime.now()
        with self.engine.begin() as con:
            for row in rows:
                nid = con.execute(
                    notices.insert().values(run_id=run_id, status="pending", created_at=now, **row)
                ).inserted_primary_key[0]  # type: ignore[index]
                con.execute(events.insert().values(notice_id=nid, run_id=run_id, ts=now, event="created"))
        return len(rows)

    def pending(self) -> list[Notice]:
        """Notices not yet sent (new ones and earlier failures)."""
        q = sa.select(notices).where(notices.c.status.in_(["pending", "failed"])).order_by(notices.c.id)
        with self.engine.connect() as con:
            return [Notice(**{k: r._mapping[k] for k in Notice.__dataclass_fields__}) for r in con.execute(q)]

    def mark(self, run_id: str, notice_id: int, ok: bool, detail: str = "") -> None:
        """Record one delivery attempt."""
        self.mark_many(run_id, [(notice_id, ok, detail)])

    def mark_many(self, run_id: str, results: list[tuple[int, bool, str]]) -> None:
        """Record delivery attempts (notice id, ok, receipt or error) in one transaction."""
        if not results:
            return
        now = datetime.now()
        with self.engine.begin() as con:
            for notice_id, ok, detail in results:
                values = (
                    {"status": "sent", "sent_at": now, "error": None} if ok else {"status": "failed", "error": detail}
                )
                con.execute(notices.update().where(notices.c.id == notice_id).values(**values))
            con.execute(
                events.insert(),
                [
                    {
                        "notice_id": nid,
                        "run_id": run_id,
                        "ts": now,
                        "event": "sent" if ok else "failed",
                        "detail": detail,
                    }
                    for nid, ok, detail in results
                ],
            )

    def log(self, run_id: str, event: str, detail: str) -> None:
        """A run-level event (started, matter skipped, finished)."""
        with self.engine.begin() as con:
            con.execute(events.insert().values(run_id=run_id, ts=datetime.now(), event=event, detail=detail))

    def counts(self) -> dict[tuple[str, str], int]:
        """Notices per (matter, status)."""
        q = sa.select(notices.c.matter_code, notices.c.status, sa.func.count()).group_by(
            notices.c.matter_code, notices.c.status
        )
        with self.engine.connect() as con:
            return {(r[0], r[1]): int(r[2]) for r in con.execute(q)}

    def trail(self, notice_id: int) -> list[tuple[str, str]]:
        """Events of one notice, oldest first."""
        q = sa.select(events.c.event, events.c.detail).where(events.c.notice_id == notice_id).order_by(events.c.id)
        with self.engine.connect() as con:
            return [(r[0], r[1] or "") for r in con.execute(q)]
