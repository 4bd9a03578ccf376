"""Each shipped batch matter selects the right taxpayers; runs are idempotent and traced; SMTP delivery works."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
import sqlalchemy as sa

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.batch.outbox import Notice, Outbox
from taxloop.batch.runner import matter_sql, run_batch
from taxloop.batch.senders import LetterSender, SmtpSender, SpoolSender
from taxloop.batch.spec import BatchMatter, load_batch_matters

AS_OF = dt.date(2026, 4, 12)  # same as the fixture: VAT for 2026-03 due 04-15

EXPECTED = {
    "FILING_REMINDER": ["LATE"],  # FILED filed 2026-03; ABN abnormal; NEWCO registered in March
    "OVERDUE_FILING_NOTICE": [],  # before the deadline
    "PAYMENT_REMINDER": ["LATE"],  # cit 2026-03 due 04-15 unpaid; FILED paid
    "ARREARS_NOTICE": ["LATE"],  # vat 2025-10 overdue
    "ARREARS_ANNOUNCEMENT": ["LATE"],  # 80,000 overdue > 90 days
    "CIT_ANNUAL_REMINDER": ["LATE"],  # FILED filed 2025; ABN abnormal; NEWCO registered this year
    "IIT_WITHHOLDING_REMINDER": ["LATE"],
    "ABNORMAL_STATUS_NOTICE": ["ABN"],
    "LOW_RISK_SELF_CHECK": ["FILED"],  # NEWCO low but no indicator
    "HIGH_RISK_COUNSELLING": ["LATE"],
}


def test_library_has_at_least_eight_matters() -> None:
    codes = {m.code for m in load_batch_matters()}
    assert codes == set(EXPECTED) and len(codes) >= 8


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_matter_selects_the_right_taxpayers(batch_wh: DuckDBBackend, code: str) -> None:
    matter = next(m for m in load_batch_matters() if m.code == code)
    rows = batch_wh.query(matter_sql(matter, AS_OF)).to_pylist()
    assert sorted(r["tin"] for r in rows) == EXPECTED[code]


def test_overdue_notice_after_the_deadline(batch_wh: DuckDBBackend) -> None:
    matter = next(m for m in load_batch_matters() if m.code == "OVERDUE_FILING_NOTICE")
    rows = batch_wh.query(matter_sql(matter, AS_OF.replace(day=20))).to_pylist()
    assert [r["tin"] for r in rows] == ["LATE"]


def _senders(tmp_path: Path) -> dict[str, SpoolSender | LetterSender]:
    return {
        "email": SpoolSender(tmp_path / "email.jsonl"),
        "sms": SpoolSender(tmp_path / "sms.jsonl"),
        "online": SpoolSender(tmp_path / "inbox.jsonl"),
        "letter": LetterSender(tmp_path / "letters"),
    }


def test_rerun_sends_nothing_twice_and_is_traced(batch_wh: DuckDBBackend, tmp_path: Path) -> None:
    outbox = Outbox(sa.create_engine(f"sqlite:///{tmp_path / 'o.sqlite'}"))
    opened: list[tuple[str, str]] = []

    def opener(matter: BatchMatter, notice: Notice) -> None:
        opened.append((matter.creates_task or "", notice.tin))

    first = run_batch(batch_wh, outbox, list(load_batch_matters()), AS_OF, _senders(tmp_path), opener)
    total = sum(len(v) for v in EXPECTED.values())
    assert (first.sent, first.failed) == (total, 0)
    assert opened == [("RISK_COUNSELLING", "LATE")]
    second = run_batch(batch_wh, outbox, list(load_batch_matters()), AS_OF, _senders(tmp_path), opener)
    assert second.sent == 0 and sum(m.new for m in second.matters) == 0
    assert sum(m.already for m in second.matters) == total
    assert len(opened) == 1
    letters = sorted(p.name for p in (tmp_path / "letters").iterdir())
    assert letters == [
        "ABNORMAL_STATUS_NOTICE_ABN_2026Q2.txt",
        "ARREARS_NOTICE_LATE_vat-2025-10.txt",
        "HIGH_RISK_COUNSELLING_LATE_S1.txt",
    ]
    notice_id = 1
    assert [e for e, _ in outbox.trail(notice_id)] == ["created", "sent"]


class _Collector:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture()
def smtp_server() -> Iterator[tuple[str, int, _Collector]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = _Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, handler
    finally:
        controller.stop()


def test_email_goes_through_a_local_smtp_server(
    batch_wh: DuckDBBackend, tmp_path: Path, smtp_server: tuple[str, int, _Collector]
) -> None:
    host, port, handler = smtp_server
    outbox = Outbox(sa.create_engine(f"sqlite:///{tmp_path / 'o.sqlite'}"))
    matters = [m for m in load_batch_matters() if m.channel == "email"]
    report = run_batch(
        batch_wh, outbox, matters, AS_OF, {"email": SmtpSender(host, port, "tax@etax.local", "etax.local")}
    )
    assert report.sent == 3 and report.failed == 0
    msgs = [message_from_bytes(m) for m in handler.messages]
    assert sorted(m["To"] for m in msgs) == ["LATE@etax.local"] * 3
    subjects = [str(make_header(decode_header(m["Subject"]))) for m in msgs]
    assert any("增值税申报提醒" in s for s in subjects)


def test_failed_delivery_is_retried_next_run(batch_wh: DuckDBBackend, tmp_path: Path) -> None:
    outbox = Outbox(sa.create_engine(f"sqlite:///{tmp_path / 'o.sqlite'}"))
    matters = [m for m in load_batch_matters() if m.code == "FILING_REMINDER"]
    down = run_batch(batch_wh, outbox, matters, AS_OF, {"email": SmtpSender("127.0.0.1", 9, "a@b", "etax.local")})
    assert (down.sent, down.failed) == (0, 1)
    up = run_batch(batch_wh, outbox, matters, AS_OF, {"email": SpoolSender(tmp_path / "mail.jsonl")})
    assert (up.sent, up.failed) == (1, 0)
    assert [e for e, _ in outbox.trail(1)] == ["created", "failed", "sent"]
