"""The load ledger: one JSON line per successful load (data set, file hashes, time, counts).

Kept at ``<warehouse>/reports/load_ledger.jsonl``; the provider ledger and audits read it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from taxloop.load.report import LoadReport

LEDGER = "load_ledger.jsonl"


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_ledger(reports_dir: Path) -> list[dict[str, Any]]:
    """Every ledger entry, oldest first (empty when there is no ledger yet)."""
    path = reports_dir / LEDGER
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def previous_load(reports_dir: Path, digests: dict[str, str]) -> str | None:
    """The id of an earlier load of exactly the same files (same paths and hashes), if any."""
    for entry in reversed(read_ledger(reports_dir)):
        if entry.get("files") == digests:
            return str(entry["load_id"])
    return None


def append_ledger(reports_dir: Path, report: LoadReport, digests: dict[str, str]) -> None:
    """Record a successful load."""
    entry = {
        "load_id": report.load_id,
        "dataset": report.dataset,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "files": digests,
        "tables": {
            t.table: {"read": t.rows_read, "loaded": t.rows_loaded, "quarantined": t.rows_quarantined}
            for t in report.loaded
        },
    }
    reports_dir.mkdir(parents=True, exist_ok=True)
    with (reports_dir / LEDGER).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
