"""Rule headers are validated and compiled for DuckDB and Spark."""

from pathlib import Path

import pytest

from taxloop.rules.compile import RuleCompileError, compile_rule, resolve_params
from taxloop.rules.spec import RuleFileError, load_rule

RULE = """
code: TST001
name_zh: 测试指标
name_en: Test indicator
description: Sales below a threshold.
category: vat
subject: taxpayer
severity: high
params:
  min_sales: {default: 100, description: lowest normal sales}
overrides:
  - industry_prefix: C
    params: {min_sales: 500}
tables: [vat_returns]
version: 1
owner: analyst
status: active
sql: |
  SELECT tin AS subject_id, period, sales AS value, :min_sales AS threshold,
         'sales=' || sales AS evidence
  FROM vat_returns WHERE sales < :min_sales
"""


def _write(tmp_path: Path, text: str, name: str = "TST001.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_rule_compiles_for_both_dialects(tmp_path: Path) -> None:
    spec = load_rule(_write(tmp_path, RULE))
    duck = compile_rule(spec, "duckdb")
    assert "sales < 100" in duck
    spark = compile_rule(spec, "spark", resolve_params(spec, industry_code="C3911"))
    assert "500" in spark and ":min_sales" not in spark


def test_undeclared_parameter_is_refused(tmp_path: Path) -> None:
    bad = RULE.replace("sales < :min_sales", "sales < :other")
    with pytest.raises(RuleFileError, match="undeclared parameters"):
        load_rule(_write(tmp_path, bad))


def test_bad_category_and_file_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="category"):
        load_rule(_write(tmp_path, RULE.replace("category: vat", "category: nonsense")))
    with pytest.raises(RuleFileError, match="file name"):
        load_rule(_write(tmp_path, RULE, "OTHER.yaml"))


def test_missing_output_column_is_a_compile_error(tmp_path: Path) -> None:
    spec = load_rule(_write(tmp_path, RULE.replace("'sales=' || sales AS evidence", "1 AS x")))
    with pytest.raises(RuleCompileError, match="evidence"):
        compile_rule(spec)
