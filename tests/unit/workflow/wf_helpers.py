"""Helpers shared by the workflow tests (a hand-moved clock, officers, small scans)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.risk.scan import HIT_SCHEMA
from taxloop.workflow.models import Officer


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def officer(
    oid: str, region: str = "R1", unit: str = "U1", role: str = "inspector", level: int = 3, **kw: object
) -> Officer:
    """A test officer."""
    return Officer(officer_id=oid, name=f"官员{oid}", unit_code=unit, region_code=region, role=role, level=level, **kw)  # type: ignore[arg-type]


def write_scan(
    backend: DuckDBBackend, scan_id: str, entities: list[dict[str, object]], hits: list[dict[str, object]]
) -> None:
    """Write small ``risk_scores`` and ``indicator_hits`` tables."""
    scores = [
        {
            "scan_id": scan_id,
            "rank": i + 1,
            "entity_id": e["entity_id"],
            "tins": e.get("tins", [e["entity_id"]]),
            "score": e.get("score", 50.0),
            "expert_score": 0.0,
            "model_score": None,
            "level": e.get("level", "high"),
            "indicators": e.get("indicators", []),
            "selection": e.get("selection", "indicator"),
            "region_code": e.get("region_code", "R1"),
            "industry_code": "C3911",
        }
        for i, e in enumerate(entities)
    ]
    schema = pa.schema(
        [
            ("scan_id", pa.string()),
            ("rank", pa.int64()),
            ("entity_id", pa.string()),
            ("tins", pa.list_(pa.string())),
            ("score", pa.float64()),
            ("expert_score", pa.float64()),
            ("model_score", pa.float64()),
            ("level", pa.string()),
            ("indicators", pa.list_(pa.string())),
            ("selection", pa.string()),
            ("region_code", pa.string()),
            ("industry_code", pa.string()),
        ]
    )
    backend.write_arrow("risk_scores", pa.Table.from_pylist(scores, schema=schema))
    hit_rows = [
        {
            "scan_id": scan_id,
            "code": h["code"],
            "subject_id": h["entity_id"],
            "tin": h.get("tin", h["entity_id"]),
            "period": h.get("period", "2026-01"),
            "value": 1.0,
            "threshold": 0.5,
            "evidence": "x",
            "weight": 1.0,
            "severity": "high",
            "category": h.get("category", "vat"),
        }
        for h in hits
    ]
    backend.write_arrow("indicator_hits", pa.Table.from_pylist(hit_rows, schema=HIT_SCHEMA))
