"""Rule files sum money exactly: every ``sum(...)`` over a DOUBLE feature is a DECIMAL sum cast once to DOUBLE.

A DOUBLE sum depends on the order an engine adds rows in (DuckDB threads, Spark partitions), so its last bits —
and a rounded evidence amount sitting on a half-yuan boundary — could differ run to run or engine to engine.
"""

from __future__ import annotations

import re

import pytest
from ind_library import LIBRARY

from taxloop.rules.spec import RuleSpec, load_rules

SPECS = load_rules(LIBRARY)
# Feature columns holding counts (integers): their sums are exact on every engine.
INTEGER_SUMS = {"vat_late", "vat_filed", "land_use_returns", "deed_returns", "coalesce(y.property_returns, 0)"}
EXACT = re.compile(r"CAST\(\s*(.*)\s+AS DECIMAL\(38, 2\)\)\s*", re.S)


def sum_arguments(sql: str) -> list[tuple[str, str]]:
    """(text before the call, argument) of every ``sum(...)`` call in ``sql``, parentheses matched."""
    calls = []
    for m in re.finditer(r"(?<![\w.])sum\(", sql, re.I):
        depth, j = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[j], 0)
            j += 1
        calls.append((sql[: m.start()], sql[m.end() : j - 1]))
    return calls


def test_sum_arguments_parses_nested_calls() -> None:
    calls = sum_arguments("SELECT sum(coalesce(a, 0)) AS x, CAST(sum(CAST(b AS DECIMAL(38, 2))) AS DOUBLE) FROM t")
    assert [arg for _, arg in calls] == ["coalesce(a, 0)", "CAST(b AS DECIMAL(38, 2))"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_money_sums_are_decimal(spec: RuleSpec) -> None:
    for before, arg in sum_arguments(spec.sql):
        if arg.strip() in INTEGER_SUMS:
            continue
        assert EXACT.fullmatch(arg), f"{spec.code}: sum({arg}) is not a DECIMAL(38, 2) sum"
        assert before.rstrip().endswith("CAST("), f"{spec.code}: the DECIMAL sum of {arg} is not cast to DOUBLE"


def test_no_double_avg_over_money() -> None:
    # avg() is only used over head counts (integers); a money average must be a DECIMAL sum divided by a count.
    for spec in SPECS:
        for m in re.finditer(r"(?<![\w.])avg\(([^()]*)\)", spec.sql, re.I):
            assert m.group(1).strip() in {"si_insured", "iit_employees"}, f"{spec.code}: avg({m.group(1)})"
