"""The scan engine: run rule files on any analytics backend and collect every hit with its evidence.

``run_rules`` is generic over the rule subject (taxpayer, officer, case): each rule's SQL is compiled
(one variant per parameter override, restricted to the subjects it applies to), wrapped so that every
rule returns the same typed columns, filtered by period and run through the backend. The result is
one Arrow table with the rule's code, weight, severity and category beside each hit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.risk.hit_profile import HIT_SCHEMA as HIT_SCHEMA
from taxloop.risk.hit_profile import TAXPAYER_HITS, HitProfile
from taxloop.risk.variants import Variant, rule_variants
from taxloop.rules.compile import compile_rule
from taxloop.rules.spec import RuleSpec

SUBJECTS_TABLE = "scan_subjects"


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


def rule_sql(
    spec: RuleSpec,
    periods: PeriodRange | None = None,
    with_subjects: bool = True,
    profile: HitProfile = TAXPAYER_HITS,
    params: Mapping[str, Any] | None = None,
) -> str:
    """The wrapped DuckDB SQL of one rule: ``profile``'s typed output columns, override variants, period
    filter. ``params`` overrides parameters for every variant (unknown names raise ``ValueError``)."""
    unknown = sorted(set(params or {}) - set(spec.params))
    if unknown:
        raise ValueError(f"{spec.code}: unknown parameters {unknown}; known: {sorted(spec.params)}")
    parts = []
    variants = rule_variants(spec) if with_subjects else [Variant(spec.defaults(), None)]
    select = profile.select_sql(spec)
    for variant in variants:
        body = compile_rule(spec, "duckdb", {**variant.params, **(params or {})})
        where = [periods.sql("CAST(h.period AS VARCHAR)")] if periods else []
        join = ""
        if variant.condition is not None:
            join = f" LEFT JOIN {SUBJECTS_TABLE} a ON a.subject_id = CAST(h.subject_id AS VARCHAR)"
            where.append(f"({variant.condition})")
        parts.append(f"SELECT {select} FROM ({body}) h{join}" + (" WHERE " + " AND ".join(where) if where else ""))
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


def missing_column(message: str) -> bool:
    """Whether an engine's error message says a column does not exist (DuckDB: ``Referenced column "x" not
    found``, ``Table "o" does not have a column named "x"``; Spark: ``[UNRESOLVED_COLUMN...]``)."""
    first = message.splitlines()[0] if message else ""
    lowered = first.lower()
    return ("not found" in first and "column" in lowered) or "does not have a column named" in lowered or (
        "UNRESOLVED_COLUMN" in first
    )


def _failed(spec: RuleSpec, exc: Exception, profile: HitProfile) -> RuleRun:
    """A rule whose SQL failed: an error, or skipped when the profile treats an absent column as missing data."""
    text = f"{type(exc).__name__}: {exc}"
    first = (str(exc) or type(exc).__name__).splitlines()[0]
    if profile.missing_column_skips and missing_column(str(exc)):
        return RuleRun(spec.code, "skipped", message=f"column absent / 缺少数据列: {first}"[:500])
    return RuleRun(spec.code, "error", message=text[:500])


def run_rules(
    backend: AnalyticsBackend,
    specs: Sequence[RuleSpec],
    scan_id: str,
    periods: PeriodRange | None = None,
    progress: bool = True,
    *,
    profile: HitProfile = TAXPAYER_HITS,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    on_rule: Callable[[RuleRun], None] | None = None,
) -> RunResult:
    """Run every rule; a rule whose tables are absent is skipped, one that fails is reported, not fatal.

    ``profile`` chooses the hit columns (taxpayer ``indicator_hits`` by default), ``params`` maps a rule
    code to parameter overrides, ``on_rule`` is called with each rule's ``RuleRun`` as soon as it is done.
    """
    subjects = {s.subject for s in specs if s.overrides}
    if len(subjects) > 1:
        raise ValueError("rules with overrides for several subjects must run in separate scans")
    with_subjects = False
    for subject in subjects:
        sql = subjects_sql(backend, subject)
        if sql is not None and (subject != "officer" or backend.has_table("officers")):
            backend.materialize(SUBJECTS_TABLE, sql)
            with_subjects = True
    present = set(backend.table_names())  # one catalog read: the rules below add no table
    tables: list[pa.Table] = []
    runs: list[RuleRun] = []
    with _progress(progress) as bar:
        task = bar.add_task("scan / 扫描", total=len(specs))
        for spec in specs:
            bar.update(task, description=f"scan / 扫描 {spec.code}")
            started = time.perf_counter()
            missing = [t for t in spec.tables if t not in present]
            if missing:
                run = RuleRun(spec.code, "skipped", message=f"tables absent / 缺少数据表: {missing}")
            else:
                overrides = (params or {}).get(spec.code)
                try:
                    result = backend.query(rule_sql(spec, periods, with_subjects, profile, overrides))
                except Exception as exc:  # a broken rule must not stop the scan; it is reported
                    run = _failed(spec, exc, profile)
                else:
                    tables.append(profile.annotate(result, spec, scan_id))
                    run = RuleRun(spec.code, "ok", result.num_rows)
                run.seconds = time.perf_counter() - started
            runs.append(run)
            if on_rule is not None:
                on_rule(run)
            bar.advance(task)
    hits = pa.concat_tables(tables) if tables else profile.schema.empty_table()
    return RunResult(hits, runs)
