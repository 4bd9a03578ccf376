"""Indicator lifecycle decided in the bureau (promote a draft, retire what does not work) without editing the
packaged rule files: a status overlay stored in the warehouse (derived ``indicator_lifecycle``), one row per
decision, the latest per code wins. The scan honours it (``effective_status``)."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from taxloop.analytics.backend import AnalyticsBackend

TABLE = "indicator_lifecycle"
SCHEMA = pa.schema(
    [
        ("code", pa.string()),
        ("status", pa.string()),
        ("actor", pa.string()),
        ("reason", pa.string()),
        ("at", pa.string()),
    ]
)
STATUSES = ("draft", "active", "retired")


def decisions(backend: AnalyticsBackend) -> list[dict[str, str]]:
    """Every recorded decision, oldest first."""
    if not backend.has_table(TABLE):
        return []
    rows: list[dict[str, str]] = backend.query(f"SELECT * FROM {TABLE} ORDER BY at").to_pylist()
    return rows


def overrides(backend: AnalyticsBackend) -> dict[str, str]:
    """The latest decided status per indicator code."""
    return {d["code"]: d["status"] for d in decisions(backend)}


def effective_status(file_status: str, code: str, decided: dict[str, str]) -> str:
    """A rule's status after the bureau's decisions (pure)."""
    return decided.get(code, file_status)


def set_status(
    backend: AnalyticsBackend, code: str, status: str, actor: str, reason: str = "", at: datetime | None = None
) -> None:
    """Record a decision (appends; nothing is overwritten)."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    row = {
        "code": code,
        "status": status,
        "actor": actor,
        "reason": reason,
        "at": (at or datetime.now()).isoformat(timespec="seconds"),
    }
    old = decisions(backend)
    backend.write_arrow(TABLE, pa.Table.from_pylist([*old, row], schema=SCHEMA))
