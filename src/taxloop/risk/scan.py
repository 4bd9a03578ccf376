"""The scan engine: run rule files on any analytics backend and collect every hit with its evidence.

``run_rules`` is generic over the rule subject (taxpayer, officer, case): each rule's SQL is compiled
(one variant per parameter override, restricted to the subjects it applies to), wrapped so that every
rule returns the same typed columns, filtered by period and run through the backend. The result is
one Arrow table with the rule's code, weight, severity and category beside each hit.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import sqlglot
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlglot import exp

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.risk.variants import Variant, rule_variants
from taxloop.rules.compile import compile_rule
from taxloop.rules.spec import RuleSpec

SUBJECTS_TABLE = "scan_subjects"
HIT_SCHEMA = pa.schema(
    [
        ("scan_id", pa.string()),
        ("code", pa.string()),
        ("subject_id", pa.string()),
        ("tin", pa.string()),
        ("period", pa.string()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("evidence", pa.string()),
        ("weight", pa.float64()),
        ("severity", pa.string()),
        ("category", pa.string()),
    ]
)


@dataclass
class RuleRun:
    """What happened to one rule in a scan."""

    code: str
    status: str  # ok, skipped, error
    hits: int = 0
    seconds: float = 0.0
    message: str = ""


@dataclass
class RunResult:
    """Hits of every rule plus one ``RuleRun`` per rule."""

    hits: pa.Table
    runs: list[RuleRun] = field(default_factory=list)


@dataclass(frozen=True)
class PeriodRange:
    """Inclusive range of ``YYYY-MM`` periods; rows with a NULL period always pass."""

    start: str
    end: str

    @classmethod
    def parse(cls, text: str) -> PeriodRange:
        """``2024``, ``2024-03`` or ``2024-01..2024-06``."""
        lo, _, hi = text.strip().partition("..")
        hi = hi or lo

        def norm(p: str, last: bool) -> str:
            p = p.strip()
            if len(p) == 4 and p.isdigit():
                return f"{p}-12" if last else f"{p}-01"
            if len(p) == 7 and p[4] == "-" and p[:4].isdigit() and p[5:].isdigit():
                return p
            raise ValueError(f"bad period {text!r}; expected YYYY, YYYY-MM or YYYY-MM..YYYY-MM / 期间格式错误")

        return cls(norm(lo, False), norm(hi, True))

    def sql(self, column: str) -> str:
        """Condition on a period column: a month (first 7 characters) in range, or a year that overlaps it."""
        return (
            f"({column} IS NULL OR SUBSTR({column}, 1, 7) BETWEEN '{self.start}' AND '{self.end}'"
            f" OR (LENGTH({column}) = 4 AND {column} BETWEEN '{self.start[:4]}' AND '{self.end[:4]}'))"
        )


def subjects_sql(backend: AnalyticsBackend, subject: str) -> str | None:
    """SQL giving ``subject_id, region_code, industry_code`` for override matching (None if unknown)."""
    if subject == "officer":
        return "SELECT officer_id AS subject_id, region_code, CAST(NULL AS VARCHAR) AS industry_code FROM officers"
    if subject != "taxpayer" or not backend.has_table("taxpayers"):
        return None
    tins = (
        "SELECT tin, MIN(region_code) AS region_code, MIN(industry_code) AS industry_code FROM taxpayers GROUP BY tin"
    )
    if backend.has_table("entity_map"):
        ents = (
            "SELECT m.entity_id AS subject_id, MIN(t.region_code) AS region_code,"
            f" MIN(t.industry_code) AS industry_code FROM entity_map m JOIN ({tins}) t ON t.tin = m.tin"
            " GROUP BY m.entity_id"
        )
        return (
            f"SELECT * FROM ({ents}) e UNION ALL SELECT tin, region_code, industry_code FROM ({tins}) t2"
            f" WHERE tin NOT IN (SELECT subject_id FROM ({ents}) e2)"
        )
    return f"SELECT tin AS subject_id, region_code, industry_code FROM ({tins}) t"


@functools.lru_cache(maxsize=1024)
def _returns_tin(sql: str) -> bool:
    tree = sqlglot.parse_one(sql, read="duckdb")
    return isinstance(tree, exp.Query) and "tin" in [s.alias_or_name for s in tree.selects]


def rule_sql(spec: RuleSpec, periods: PeriodRange | None = None, with_subjects: bool = True) -> str:
    """The wrapped DuckDB SQL of one rule: typed output columns, override variants, period filter."""
    parts = []
    variants = rule_variants(spec) if with_subjects else [Variant(spec.defaults(), None)]
    for variant in variants:
        body = compile_rule(spec, "duckdb", variant.params)
        tin = "CAST(h.tin AS VARCHAR)" if _returns_tin(spec.sql) else "CAST(NULL AS VARCHAR)"
        where = [periods.sql("CAST(h.period AS VARCHAR)")] if periods else []
        join = ""
        if variant.condition is not None:
            join = f" LEFT JOIN {SUBJECTS_TABLE} a ON a.subject_id = CAST(h.subject_id AS VARCHAR)"
            where.append(f"({variant.condition})")
        parts.append(
            "SELECT CAST(h.subject_id AS VARCHAR) AS subject_id, "
            f"{tin} AS tin, CAST(h.period AS VARCHAR) AS period, CAST(h.value AS DOUBLE) AS value, "
            "CAST(h.threshold AS DOUBLE) AS threshold, CAST(h.evidence AS VARCHAR) AS evidence "
            f"FROM ({body}) h{join}" + (" WHERE " + " AND ".join(where) if where else "")
        )
    return " UNION ALL ".join(parts)


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=False,
    )


def _annotate(table: pa.Table, spec: RuleSpec, scan_id: str) -> pa.Table:
    n = table.num_rows

    def const(value: object, typ: pa.DataType) -> pa.Array:
        return pa.array([value] * n, type=typ)

    cols = {
        "scan_id": const(scan_id, pa.string()),
        "code": const(spec.code, pa.string()),
        "weight": const(float(spec.weight), pa.float64()),
        "severity": const(spec.severity, pa.string()),
        "category": const(spec.category, pa.string()),
    }
    arrays = [cols[f.name] if f.name in cols else table.column(f.name).cast(f.type) for f in HIT_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=HIT_SCHEMA)


def run_rules(
    backend: AnalyticsBackend,
    specs: Sequence[RuleSpec],
    scan_id: str,
    periods: PeriodRange | None = None,
    progress: bool = True,
) -> RunResult:
    """Run every rule; a rule whose tables are absent is skipped, one that fails is reported, not fatal."""
    subjects = {s.subject for s in specs if s.overrides}
    if len(subjects) > 1:
        raise ValueError("rules with overrides for several subjects must run in separate scans")
    with_subjects = False
    for subject in subjects:
        sql = subjects_sql(backend, subject)
        if sql is not None and (subject != "officer" or backend.has_table("officers")):
            backend.materialize(SUBJECTS_TABLE, sql)
            with_subjects = True
    tables: list[pa.Table] = []
    runs: list[RuleRun] = []
    with _progress(progress) as bar:
        task = bar.add_task("scan / 扫描", total=len(specs))
        for spec in specs:
            bar.update(task, description=f"scan / 扫描 {spec.code}")
            missing = [t for t in spec.tables if not backend.has_table(t)]
            if missing:
                runs.append(RuleRun(spec.code, "skipped", message=f"tables absent / 缺少数据表: {missing}"))
                bar.advance(task)
                continue
            started = time.perf_counter()
            try:
                result = backend.query(rule_sql(spec, periods, with_subjects))
            except Exception as exc:  # a broken rule must not stop the scan; it is reported
                runs.append(RuleRun(spec.code, "error", message=f"{type(exc).__name__}: {exc}"[:500]))
                bar.advance(task)
                continue
            tables.append(_annotate(result, spec, scan_id))
            runs.append(RuleRun(spec.code, "ok", result.num_rows, time.perf_counter() - started))
            bar.advance(task)
    hits = pa.concat_tables(tables) if tables else HIT_SCHEMA.empty_table()
    return RunResult(hits, runs)
