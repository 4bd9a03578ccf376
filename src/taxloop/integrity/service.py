"""Integrity use cases called by the CLI and the API: import a log, run a scan."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.integrity.eventlog_import import ImportReport, convert_log
from taxloop.integrity.mapping import EventLogMapping
from taxloop.integrity.scan import load_integrity_rules, run_integrity_rules
from taxloop.integrity.scoring import score_officers
from taxloop.integrity.store import write_imported_log
from taxloop.risk.scan import RuleRun


@dataclass
class ScanSummary:
    """What a scan did."""

    scan_id: str
    hits: int
    officers: int
    seconds: float
    runs: list[RuleRun] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain-data form (saved as ``reports/integrity_scan.json``)."""
        return {**asdict(self), "runs": [asdict(r) for r in self.runs]}


def import_event_log(warehouse: Warehouse, path: Path, mapping: EventLogMapping) -> ImportReport:
    """Convert ``path`` with ``mapping`` and store it as ``operation_log``/``officers`` parts."""
    ops, officers, report = convert_log(path, mapping)
    write_imported_log(warehouse, mapping.name, ops, officers)
    out = warehouse.reports / f"eventlog_import_{mapping.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {**asdict(report), "actions": dict(report.actions), "unmapped": dict(report.unmapped.most_common())}
    out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return report


def run_integrity_scan(
    backend: AnalyticsBackend,
    rules_folder: Path | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    on_rule: Callable[[RuleRun], None] | None = None,
    reports: Path | None = None,
) -> ScanSummary:
    """Run every active integrity rule, store ``integrity_hits`` and ``integrity_scores``."""
    if not backend.has_table("operation_log"):
        raise FileNotFoundError(
            "no operation_log in the warehouse: load data or import an event log first / 无操作日志"
        )
    start = time.perf_counter()
    specs = load_integrity_rules(rules_folder)
    scan_id = uuid.uuid4().hex[:12]
    hits, runs = run_integrity_rules(backend, specs, params=params, scan_id=scan_id, on_rule=on_rule)
    backend.write_arrow("integrity_hits", hits)
    officers = score_officers(backend)
    summary = ScanSummary(scan_id, hits.num_rows, officers, time.perf_counter() - start, runs)
    if reports is not None:
        reports.mkdir(parents=True, exist_ok=True)
        (reports / "integrity_scan.json").write_text(
            json.dumps(summary.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
    return summary
