"""Wiring a batch run from settings (used by the CLI and the API)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from taxloop import bootstrap
from taxloop.batch.outbox import Outbox
from taxloop.batch.runner import RunReport, TaskOpener, run_batch
from taxloop.batch.senders import LetterSender, Sender, SmtpSender, SpoolSender
from taxloop.batch.spec import load_batch_matters
from taxloop.config import Settings


def senders_for(settings: Settings) -> dict[str, Sender]:
    """Channel senders: SMTP when a host is configured, else spool files in the warehouse's outbox folder."""
    folder = settings.warehouse / "outbox"
    email: Sender = (
        SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.etax_mail_domain)
        if settings.smtp_host
        else SpoolSender(folder / "email.jsonl")
    )
    return {
        "email": email,
        "sms": SpoolSender(folder / "sms.jsonl"),
        "online": SpoolSender(folder / "inbox.jsonl"),
        "letter": LetterSender(folder / "letters"),
    }


def run_configured(settings: Settings, as_of: date, open_task: TaskOpener | None = None) -> RunReport:
    """Run the packaged batch matters against the configured warehouse and workflow database."""
    backend = bootstrap.analytics(settings)
    outbox = Outbox(sa.create_engine(settings.resolved_workflow_url()))
    return run_batch(backend, outbox, list(load_batch_matters()), as_of, senders_for(settings), open_task)
