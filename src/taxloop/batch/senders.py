"""Delivery channels. Email goes through SMTP (the e-tax bureau's mail gateway); letters are rendered to files
for printing; SMS and online messages are spooled as JSON lines for the SMS gateway and the e-tax inbox."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from taxloop.batch.outbox import Notice


class Sender(Protocol):
    """Delivers one notice or raises."""

    def send(self, notice: Notice) -> str:
        """Deliver; returns a short receipt text."""
        ...


class SmtpSender:
    """Email through an SMTP server; the address is ``<tin>@<domain>`` (the taxpayer's e-tax mailbox)."""

    def __init__(self, host: str, port: int, sender: str, domain: str) -> None:
        self.host, self.port, self.sender, self.domain = host, port, sender, domain

    def send(self, notice: Notice) -> str:
        """Send a bilingual email."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = f"{notice.tin}@{self.domain}"
        msg["Subject"] = f"{notice.subject_zh} / {notice.subject_en}"
        msg["X-Taxloop-Notice"] = f"{notice.matter_code}:{notice.notice_key}"
        msg.set_content(f"{notice.body_zh}\n\n{notice.body_en}\n")
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(msg)
        return f"smtp {msg['To']}"


class LetterSender:
    """Renders a printable letter per notice into a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, notice: Notice) -> str:
        """Write the letter file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{notice.matter_code}_{notice.tin}_{notice.notice_key.replace(':', '-')}.txt"
        path.write_text(
            f"{notice.subject_zh}\n\n{notice.body_zh}\n\n---\n\n{notice.subject_en}\n\n{notice.body_en}\n",
            encoding="utf-8",
        )
        return f"letter {path.name}"


class SpoolSender:
    """Appends the notice to a JSON-lines spool file that a gateway (SMS, e-tax inbox) picks up."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, notice: Notice) -> str:
        """Append to the spool."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(notice.__dict__, ensure_ascii=False) + "\n")
        return f"spool {self.path.name}"
