"""Override variants partition the subjects and give each the parameters resolve_params gives it."""

from __future__ import annotations

import itertools

import duckdb
import pytest

from taxloop.risk.variants import rule_variants
from taxloop.rules.compile import resolve_params
from taxloop.rules.spec import ParamOverride, RuleSpec


def _spec(overrides: list[ParamOverride]) -> RuleSpec:
    return RuleSpec(
        code="TVAR",
        name_zh="测试",
        name_en="Test",
        description="variants test",
        category="vat",
        subject="taxpayer",
        severity="low",
        params={"x": {"default": 1}, "y": {"default": 10}},  # type: ignore[dict-item]
        overrides=overrides,
        tables=["t"],
        version=1,
        owner="t",
        status="active",
        sql="SELECT 1 AS subject_id, :x AS period, :y AS value, 0 AS threshold, '' AS evidence",
    )


OVERRIDES = [
    ParamOverride(industry_prefix="C", params={"x": 2}),
    ParamOverride(industry_prefix="C39", params={"y": 20}),
    ParamOverride(region_code="R2", params={"x": 3}),
    ParamOverride(region_code="R3", industry_prefix="F", params={"x": 2}),
]


@pytest.mark.parametrize("n", [0, 1, 2, 4])
def test_each_subject_gets_exactly_one_variant_with_the_resolved_params(n: int) -> None:
    spec = _spec(OVERRIDES[:n])
    variants = rule_variants(spec)
    con = duckdb.connect()
    regions, industries = ["R1", "R2", "R3", None], ["C3911", "C1811", "F5191", "", None]
    for region, industry in itertools.product(regions, industries):
        matching = []
        for v in variants:
            cond = v.condition or "TRUE"
            sql = f"SELECT ({cond}) AS ok FROM (SELECT ?::VARCHAR AS region_code, ?::VARCHAR AS industry_code) a"
            if con.execute(sql, [region, industry]).fetchall()[0][0]:
                matching.append(v)
        assert len(matching) == 1, (region, industry, len(matching))
        assert matching[0].params == resolve_params(spec, region, industry), (region, industry)
    con.close()


def test_impossible_combinations_are_pruned() -> None:
    two_regions = [ParamOverride(region_code="R1", params={"x": 5}), ParamOverride(region_code="R2", params={"x": 6})]
    assert len(rule_variants(_spec(two_regions))) == 3
