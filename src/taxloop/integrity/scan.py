"""The integrity scan: run the integrity rule files over the warehouse and collect ``integrity_hits``.

Integrity rules run on the taxpayer scan's engine (``taxloop.risk.scan.run_rules``: skip reasons, timing,
error handling, progress) with the ``INTEGRITY_HITS`` profile, which names the officer and the case of each
hit. Each rule returns ``subject_id, period, value, threshold, evidence``; officer rules may add ``case_id``
and case rules must add ``officer_id`` (the officer the case points at), so every hit names an officer.
A rule whose tables or columns are absent is skipped and reported; one whose SQL fails is reported as an error.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.risk.hit_profile import HitProfile
from taxloop.risk.scan import RuleRun, rule_sql, run_rules
from taxloop.rules.spec import RuleSpec, load_rules

CACHED_TABLES = ("operation_log", "officers")
SEVERITY_FACTOR = {"high": 3.0, "medium": 2.0, "low": 1.0}
HITS_SCHEMA = pa.schema(
    [
        ("scan_id", pa.string()),
        ("code", pa.string()),
        ("officer_id", pa.string()),
        ("case_id", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("evidence", pa.string()),
        ("weight", pa.float64()),
        ("category", pa.string()),
    ]
)


def _integrity_select(spec: RuleSpec, names: tuple[str, ...]) -> str:
    """Officer and case of a hit: case rules' subject is the case, officer rules' subject the officer."""
    officer = "h.officer_id" if "officer_id" in names else ("NULL" if spec.subject == "case" else "h.subject_id")
    case = "h.subject_id" if spec.subject == "case" else ("h.case_id" if "case_id" in names else "NULL")
    return (
        f"CAST({officer} AS VARCHAR) AS officer_id, CAST({case} AS VARCHAR) AS case_id, "
        "CAST(h.value AS DOUBLE) AS value, CAST(h.threshold AS DOUBLE) AS threshold, "
        "CAST(h.evidence AS VARCHAR) AS evidence"
    )


def _integrity_constants(spec: RuleSpec, scan_id: str) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "code": spec.code,
        "weight": spec.weight * SEVERITY_FACTOR[spec.severity],
        "category": spec.category,
    }


INTEGRITY_HITS = HitProfile(
    "integrity", HITS_SCHEMA, _integrity_select, _integrity_constants, missing_column_skips=True
)


def integrity_rules_dir() -> Path:
    """Folder of the integrity rule files shipped with taxloop."""
    return Path(str(resources.files("taxloop") / "library" / "integrity"))


def load_integrity_rules(folder: Path | None = None, include_draft: bool = False) -> list[RuleSpec]:
    """Active officer/case rules of ``folder`` (default: the bundled library)."""
    specs = load_rules(folder or integrity_rules_dir())
    wanted = {"active", "draft"} if include_draft else {"active"}
    return [s for s in specs if s.subject in ("officer", "case") and s.status in wanted]


def run_rule(backend: AnalyticsBackend, spec: RuleSpec, scan_id: str, params: dict[str, Any] | None = None) -> pa.Table:
    """Run one rule and return its hits in the ``integrity_hits`` shape (raises on SQL errors)."""
    sql = rule_sql(spec, with_subjects=False, profile=INTEGRITY_HITS, params=params)
    return INTEGRITY_HITS.annotate(backend.query(sql), spec, scan_id)


def run_integrity_rules(
    backend: AnalyticsBackend,
    specs: list[RuleSpec],
    params: dict[str, dict[str, Any]] | None = None,
    scan_id: str | None = None,
    on_rule: Callable[[RuleRun], None] | None = None,
) -> tuple[pa.Table, list[RuleRun]]:
    """Run every rule; returns (all hits, one ``RuleRun`` per rule). ``params``: code -> overrides."""
    cached = _cache_tables(backend, set(backend.table_names()))
    try:
        result = run_rules(
            backend,
            specs,
            scan_id or uuid.uuid4().hex[:12],
            progress=False,
            profile=INTEGRITY_HITS,
            params=params,
            on_rule=on_rule,
        )
    finally:
        _drop_cache(backend, cached)
    return result.hits, result.runs


def _cache_tables(backend: AnalyticsBackend, present: set[str]) -> list[str]:
    """On DuckDB, read the scanned tables once into temporary in-memory tables that shadow the Parquet views
    (every rule then scans memory instead of decompressing Parquet again). Other backends: nothing."""
    con = getattr(backend, "con", None)
    if con is None or backend.name != "duckdb":
        return []
    cached = []
    for name in CACHED_TABLES:
        if name in present:
            con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM main."{name}"')
            cached.append(name)
    return cached


def _drop_cache(backend: AnalyticsBackend, cached: list[str]) -> None:
    con = getattr(backend, "con", None)
    for name in cached:
        if con is not None:
            con.execute(f'DROP TABLE IF EXISTS temp."{name}"')


def parse_param_overrides(items: list[str]) -> dict[str, dict[str, Any]]:
    """``CODE.name=value`` strings -> {code: {name: value}} (numbers parsed, the rest kept as text)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        code, dot, name = key.partition(".")
        if not sep or not dot or not code or not name:
            raise ValueError(f"bad --param {item!r}; expected CODE.name=value / 参数格式应为 CODE.name=value")
        value: Any = raw
        for cast in (int, float):
            try:
                value = cast(raw)
                break
            except ValueError:
                continue
        out.setdefault(code, {})[name] = value
    return out
