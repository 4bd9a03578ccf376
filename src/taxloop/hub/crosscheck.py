"""Cross-checks between other departments' data and the bureau's returns, and the doubts they raise.

Cross-checks are rule files (``library/crosschecks``, same format as indicators). Each hit becomes a doubt with
a stable id, the provider whose data raised it, and the evidence. Doubts are pushed to the bureau as verification
tasks; the verification results come back and are counted per provider (how many doubts each source confirmed).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.hub.registry import Registry
from taxloop.rules.compile import compile_rule
from taxloop.rules.spec import RuleSpec, load_rules

DOUBT_SCHEMA = pa.schema(
    [
        ("doubt_id", pa.string()),
        ("check_code", pa.string()),
        ("provider", pa.string()),
        ("tin", pa.string()),
        ("period", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("evidence", pa.string()),
        ("raised_on", pa.string()),
    ]
)
VERIFICATION_SCHEMA = pa.schema(
    [
        ("doubt_id", pa.string()),
        ("confirmed", pa.bool_()),
        ("tax_recovered", pa.float64()),
        ("note", pa.string()),
        ("verified_on", pa.string()),
    ]
)


def packaged_crosschecks() -> list[RuleSpec]:
    """The shipped cross-check rules."""
    folder = Path(str(resources.files("taxloop.library").joinpath("crosschecks")))
    return load_rules(folder)


def doubt_id(check_code: str, tin: str, period: str | None) -> str:
    """Stable id of a doubt: the same check on the same taxpayer and period is the same doubt."""
    return "D" + hashlib.sha1(f"{check_code}|{tin}|{period or ''}".encode()).hexdigest()[:15]


def provider_of(spec: RuleSpec, registry: Registry) -> str:
    """The department whose table the check reads (the first table under an agreement)."""
    for table in spec.tables:
        agreement = registry.agreement(table)
        if agreement is not None:
            return agreement.provider
    raise ValueError(f"cross-check {spec.code} reads no shared table: {spec.tables}")


def run_crosschecks(
    backend: AnalyticsBackend, registry: Registry, specs: list[RuleSpec] | None = None, today: str | None = None
) -> tuple[pa.Table, list[str]]:
    """Run every active cross-check whose tables are present; store ``hub_doubts``; return (doubts, skipped)."""
    specs = [s for s in (specs if specs is not None else packaged_crosschecks()) if s.status == "active"]
    raised_on = today or datetime.now().date().isoformat()
    rows: list[dict[str, object]] = []
    skipped: list[str] = []
    for spec in specs:
        missing = [t for t in spec.tables if not backend.has_table(t)]
        if missing:
            skipped.append(f"{spec.code}: missing {', '.join(missing)}")
            continue
        provider = provider_of(spec, registry)
        for hit in backend.query(compile_rule(spec, "duckdb")).to_pylist():
            tin, period = str(hit["subject_id"]), hit["period"]
            rows.append(
                {
                    "doubt_id": doubt_id(spec.code, tin, period),
                    "check_code": spec.code,
                    "provider": provider,
                    "tin": tin,
                    "period": period,
                    "value": hit["value"],
                    "threshold": hit["threshold"],
                    "evidence": hit["evidence"],
                    "raised_on": raised_on,
                }
            )
    table = pa.Table.from_pylist(rows, schema=DOUBT_SCHEMA)
    backend.write_arrow("hub_doubts", table)
    return table, skipped


def record_verifications(backend: AnalyticsBackend, results: list[dict[str, object]]) -> int:
    """Store verification results (the latest result per doubt wins); unknown doubt ids are refused."""
    known = set(backend.query("SELECT doubt_id FROM hub_doubts").column("doubt_id").to_pylist())
    unknown = [r["doubt_id"] for r in results if r["doubt_id"] not in known]
    if unknown:
        raise ValueError(f"unknown doubt ids: {unknown[:5]}{'...' if len(unknown) > 5 else ''}")
    stamp = datetime.now().isoformat(timespec="seconds")
    new = pa.Table.from_pylist(
        [
            {
                "doubt_id": r["doubt_id"],
                "confirmed": bool(r["confirmed"]),
                "tax_recovered": float(r.get("tax_recovered") or 0.0),  # type: ignore[arg-type]
                "note": str(r.get("note") or ""),
                "verified_on": str(r.get("verified_on") or stamp),
            }
            for r in results
        ],
        schema=VERIFICATION_SCHEMA,
    )
    if backend.has_table("hub_verifications"):
        old = backend.query("SELECT * FROM hub_verifications")
        keep = old.filter(pc.invert(pc.is_in(old.column("doubt_id"), new.column("doubt_id"))))
        new = pa.concat_tables([keep.cast(VERIFICATION_SCHEMA), new])
    return backend.write_arrow("hub_verifications", new)


def doubt_summary(backend: AnalyticsBackend) -> pa.Table:
    """Per provider and check: doubts raised, verified, confirmed, confirmation rate, tax recovered."""
    verifications = (
        "hub_verifications"
        if backend.has_table("hub_verifications")
        else "(SELECT CAST(NULL AS VARCHAR) AS doubt_id, CAST(NULL AS BOOLEAN) AS confirmed, "
        "CAST(NULL AS DOUBLE) AS tax_recovered WHERE FALSE)"
    )
    return backend.query(f"""
        SELECT d.provider, d.check_code, count(*) AS doubts, count(v.doubt_id) AS verified,
               count(*) FILTER (WHERE v.confirmed) AS confirmed,
               CASE WHEN count(v.doubt_id) > 0
                    THEN count(*) FILTER (WHERE v.confirmed) / count(v.doubt_id) END AS confirm_rate,
               coalesce(sum(v.tax_recovered), 0) AS tax_recovered
        FROM hub_doubts d LEFT JOIN {verifications} v ON v.doubt_id = d.doubt_id
        GROUP BY d.provider, d.check_code ORDER BY d.provider, d.check_code""")
