"""The outbox's once-only guarantee holds on PostgreSQL too (unique constraint, not just the runner's check)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from taxloop.batch.outbox import Outbox

pytestmark = pytest.mark.postgres


@pytest.fixture()
def pg_engine(pg_url: str) -> Iterator[sa.Engine]:
    schema = f"tl_batch_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as con:
        con.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine = sa.create_engine(pg_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as con:
            con.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _row(tin: str) -> dict[str, str]:
    return {
        "matter_code": "FILING_REMINDER",
        "tin": tin,
        "notice_key": "2026-03",
        "channel": "email",
        "subject_zh": "提醒",
        "body_zh": "请申报",
        "subject_en": "Reminder",
        "body_en": "Please file",
    }


def test_same_notice_cannot_be_added_twice(pg_engine: sa.Engine) -> None:
    outbox = Outbox(pg_engine)
    assert outbox.add("run1", [_row("T1"), _row("T2")]) == 2
    with pytest.raises(sa.exc.IntegrityError):
        outbox.add("run2", [_row("T1")])
    assert outbox.existing_keys("FILING_REMINDER") == {("T1", "2026-03"), ("T2", "2026-03")}
    assert [n.tin for n in outbox.pending()] == ["T1", "T2"]
    outbox.mark("run1", outbox.pending()[0].id, True, "ok")
    assert outbox.counts() == {("FILING_REMINDER", "pending"): 1, ("FILING_REMINDER", "sent"): 1}
