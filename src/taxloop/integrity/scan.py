"""The integrity scan: run the integrity rule files over the warehouse and collect ``integrity_hits``.

A thin runner over ``compile_rule`` + ``backend.query`` (it can switch to the shared ``run_rules`` engine).
Each rule returns ``subject_id, period, value, threshold, evidence``; officer rules may add ``case_id`` and
case rules must add ``officer_id`` (the officer the case points at), so every hit names an officer.
A rule whose tables are absent is skipped and reported; one whose SQL fails is reported as an error.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.rules.compile import compile_rule, resolve_params
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


@dataclass
class RuleRun:
    """Outcome of one rule in a scan."""

    code: str
    status: str  # ok | skipped | error
    hits: int = 0
    seconds: float = 0.0
    reason: str = ""


def integrity_rules_dir() -> Path:
    """Folder of the integrity rule files shipped with taxloop."""
    return Path(str(resources.files("taxloop") / "library" / "integrity"))


def load_integrity_rules(folder: Path | None = None, include_draft: bool = False) -> list[RuleSpec]:
    """Active officer/case rules of ``folder`` (default: the bundled library)."""
    specs = load_rules(folder or integrity_rules_dir())
    wanted = {"active", "draft"} if include_draft else {"active"}
    return [s for s in specs if s.subject in ("officer", "case") and s.status in wanted]


def _output_names(sql: str) -> list[str]:
    tree = sqlglot.parse_one(sql, read="duckdb")
    return [s.alias_or_name for s in tree.selects] if isinstance(tree, exp.Query) else []


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def wrap_rule_sql(spec: RuleSpec, sql: str, scan_id: str) -> str:
    """Normalise one rule's output to the ``integrity_hits`` columns."""
    names = _output_names(sql)
    officer = "officer_id" if "officer_id" in names else ("NULL" if spec.subject == "case" else "subject_id")
    case = "subject_id" if spec.subject == "case" else ("case_id" if "case_id" in names else "NULL")
    weight = spec.weight * SEVERITY_FACTOR[spec.severity]
    return (
        f"SELECT {_lit(scan_id)} AS scan_id, {_lit(spec.code)} AS code, CAST({officer} AS VARCHAR) AS officer_id, "
        f"CAST({case} AS VARCHAR) AS case_id, CAST(value AS DOUBLE) AS value, CAST(threshold AS DOUBLE) AS threshold, "
        f"CAST(evidence AS VARCHAR) AS evidence, CAST({weight} AS DOUBLE) AS weight, "
        f"{_lit(spec.category)} AS category FROM ({sql}) AS _rule"
    )


def run_rule(backend: AnalyticsBackend, spec: RuleSpec, scan_id: str, params: dict[str, Any] | None = None) -> pa.Table:
    """Run one rule and return its hits in the ``integrity_hits`` shape (raises on SQL errors)."""
    unknown = sorted(set(params or {}) - set(spec.params))
    if unknown:
        raise ValueError(f"{spec.code}: unknown parameters {unknown}; known: {sorted(spec.params)}")
    values = resolve_params(spec, overrides=params)
    sql = compile_rule(spec, dialect="duckdb", params=values)
    table = backend.query(wrap_rule_sql(spec, sql, scan_id))
    return table.cast(HITS_SCHEMA)


def run_integrity_rules(
    backend: AnalyticsBackend,
    specs: list[RuleSpec],
    params: dict[str, dict[str, Any]] | None = None,
    scan_id: str | None = None,
    on_rule: Callable[[RuleRun], None] | None = None,
) -> tuple[pa.Table, list[RuleRun]]:
    """Run every rule; returns (all hits, one ``RuleRun`` per rule). ``params``: code -> overrides."""
    scan_id = scan_id or uuid.uuid4().hex[:12]
    present = set(backend.table_names())
    cached = _cache_tables(backend, present)
    parts: list[pa.Table] = []
    runs: list[RuleRun] = []
    for spec in specs:
        start = time.perf_counter()
        missing = [t for t in spec.tables if t not in present]
        if missing:
            run = RuleRun(spec.code, "skipped", reason=f"tables absent / 缺少数据表: {', '.join(missing)}")
        else:
            try:
                hits = run_rule(backend, spec, scan_id, (params or {}).get(spec.code))
            except Exception as exc:  # one bad rule must not stop the scan; reported with its reason
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                status = "skipped" if "not found" in message and "column" in message.lower() else "error"
                run = RuleRun(spec.code, status, reason=message[:300])
            else:
                parts.append(hits)
                run = RuleRun(spec.code, "ok", hits=hits.num_rows)
        run.seconds = time.perf_counter() - start
        runs.append(run)
        if on_rule is not None:
            on_rule(run)
    _drop_cache(backend, cached)
    hits_table = pa.concat_tables(parts) if parts else HITS_SCHEMA.empty_table()
    return hits_table, runs


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
