"""Hit profiles: what one rule family's hits look like, for the shared scan engine.

``taxloop.risk.scan.run_rules`` runs every rule subject (taxpayer, officer, case) the same way: compile,
variants, period filter, skip reasons, timing, error handling, progress. A ``HitProfile`` holds what differs
between rule families: the SELECT list over a rule's output (aliased ``h``), the constant columns set per
rule (scan id, code, weight …) and the Arrow schema of the hits. ``TAXPAYER_HITS`` gives ``indicator_hits``;
the integrity scan defines its profile for ``integrity_hits`` in ``taxloop.integrity.scan``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import sqlglot
from sqlglot import exp

from taxloop.rules.spec import RuleSpec

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


@functools.lru_cache(maxsize=1024)
def output_names(sql: str) -> tuple[str, ...]:
    """Names of the columns a rule's (DuckDB, placeholder) SQL returns; empty if it is not a query."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return tuple(s.alias_or_name for s in tree.selects) if isinstance(tree, exp.Query) else ()


@dataclass(frozen=True)
class HitProfile:
    """The output columns of a rule family and how each hit is annotated.

    ``select(spec, names)`` returns the SELECT list over the rule's output ``h`` (``names``: the columns the
    rule returns); ``constants(spec, scan_id)`` the per-rule constant columns; ``schema`` the hit columns in
    order (every name comes from one of the two). With ``missing_column_skips`` a rule failing because a
    column is absent from the data is reported as skipped (the source lacks that field), not as an error.
    """

    name: str
    schema: pa.Schema
    select: Callable[[RuleSpec, tuple[str, ...]], str]
    constants: Callable[[RuleSpec, str], dict[str, Any]]
    missing_column_skips: bool = False

    def select_sql(self, spec: RuleSpec) -> str:
        """The SELECT list of ``spec``'s hits over its output ``h``."""
        return self.select(spec, output_names(spec.sql))

    def annotate(self, table: pa.Table, spec: RuleSpec, scan_id: str) -> pa.Table:
        """``table`` (a rule's selected output) with the constant columns, cast to ``schema``."""
        n = table.num_rows
        values = self.constants(spec, scan_id)
        repeat = pa.array(np.zeros(n, dtype=np.int32))  # each constant taken n times (vectorised, not a list)
        arrays = [
            pa.array([values[f.name]], type=f.type).take(repeat)
            if f.name in values
            else table.column(f.name).cast(f.type)
            for f in self.schema
        ]
        return pa.Table.from_arrays(arrays, schema=self.schema)


def _taxpayer_select(spec: RuleSpec, names: tuple[str, ...]) -> str:
    tin = "CAST(h.tin AS VARCHAR)" if "tin" in names else "CAST(NULL AS VARCHAR)"
    return (
        "CAST(h.subject_id AS VARCHAR) AS subject_id, "
        f"{tin} AS tin, CAST(h.period AS VARCHAR) AS period, CAST(h.value AS DOUBLE) AS value, "
        "CAST(h.threshold AS DOUBLE) AS threshold, CAST(h.evidence AS VARCHAR) AS evidence"
    )


def _taxpayer_constants(spec: RuleSpec, scan_id: str) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "code": spec.code,
        "weight": float(spec.weight),
        "severity": spec.severity,
        "category": spec.category,
    }


TAXPAYER_HITS = HitProfile("taxpayer", HIT_SCHEMA, _taxpayer_select, _taxpayer_constants)
