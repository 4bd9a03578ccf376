"""Row-level validation rules, generated as DuckDB SQL from the contract spec (pure functions, no I/O).

Every value arrives as text. For each row the generated SQL finds the *first* failing rule in contract column
order (a malformed CSV row first, a duplicate key last) and a human reason naming the column and the value.
Rule codes: ``malformed_row``, ``missing_value``, ``bad_date``, ``bad_timestamp``, ``bad_period``,
``bad_number``, ``bad_integer``, ``too_many_decimals``, ``negative_amount``, ``out_of_range``, ``unknown_enum``,
``duplicate_key`` (a keyed table) and ``duplicate_row`` (a keyless table: the same row twice).
"""

from __future__ import annotations

from dataclasses import dataclass

from taxloop.contract.schema import ColumnSpec, TableSpec
from taxloop.sqltext import ident as ident  # re-exported: the loader modules quote with these
from taxloop.sqltext import lit as lit

MALFORMED = "malformed_row"
DUPLICATE_KEY = "duplicate_key"
DUPLICATE_ROW = "duplicate_row"


def trimmed(col: ColumnSpec) -> str:
    """SQL of the trimmed, empty-as-NULL text of a column.

    The reader already trims typed columns (dates, numbers, codes) and turns blanks into NULL; free-text
    columns are kept exactly as delivered, so they are trimmed here for the missing-value check only.
    """
    if col.type == "str":
        return f"NULLIF(trim({ident(col.name)}), '')"
    return ident(col.name)


def read_expr(col: ColumnSpec | None, expr: str) -> str:
    """SQL turning a delivered value into the text the checks see (trimmed, blank = NULL, for typed columns)."""
    text = f"CAST({expr} AS VARCHAR)"
    if col is None or col.type == "str":
        return text
    return f"NULLIF(trim({text}), '')"


@dataclass(frozen=True)
class Check:
    """One rule on one column: SQL condition (true = the row fails) and SQL text of the reason."""

    rule: str
    condition: str
    reason: str


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def column_checks(col: ColumnSpec) -> list[Check]:
    """The checks of one column, in the order they are tried."""
    v = trimmed(col)
    shown = f"{lit(col.name + ': ')} || {lit(chr(39))} || left({ident(col.name)}, 80) || {lit(chr(39))}"
    checks: list[Check] = []
    typed = _typed_checks(col, v, shown)
    if not col.optional:
        checks.append(Check("missing_value", f"{v} IS NULL", lit(f"{col.name}: missing required value / 缺少必填值")))
    # a NULL (empty optional) value passes every other check: guard so that NULL never counts as a failure
    return checks + [Check(c.rule, f"{v} IS NOT NULL AND ({c.condition})", c.reason) for c in typed]


def _typed_checks(col: ColumnSpec, v: str, shown: str) -> list[Check]:
    checks: list[Check] = []
    if col.type == "date":
        cond = rf"NOT (regexp_full_match({v}, '\d{{4}}-\d{{2}}-\d{{2}}') AND TRY_CAST({v} AS DATE) IS NOT NULL)"
        checks.append(Check("bad_date", cond, f"{shown} || {lit(' is not a date YYYY-MM-DD / 日期无效')}"))
    elif col.type == "timestamp":
        pattern = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?"
        cond = (
            f"NOT (regexp_full_match({v}, '{pattern}') AND TRY_CAST(replace({v}, 'T', ' ') AS TIMESTAMP) IS NOT NULL)"
        )
        reason = f"{shown} || {lit(' is not a timestamp YYYY-MM-DDTHH:MM:SS / 时间无效')}"
        checks.append(Check("bad_timestamp", cond, reason))
    elif col.type == "period":
        cond = rf"NOT regexp_full_match({v}, '\d{{4}}-(0[1-9]|1[0-2])')"
        checks.append(Check("bad_period", cond, f"{shown} || {lit(' is not a period YYYY-MM / 所属期无效')}"))
    elif col.type == "decimal":
        cond = rf"NOT regexp_full_match({v}, '[+-]?(\d+(\.\d*)?|\.\d+)') OR TRY_CAST({v} AS DECIMAL(18,2)) IS NULL"
        checks.append(Check("bad_number", cond, f"{shown} || {lit(' is not a decimal number / 不是有效金额')}"))
        cond = rf"NOT regexp_full_match({v}, '[+-]?\d*(\.\d{{0,2}}0*)?')"
        reason = f"{shown} || {lit(' has more than 2 decimals / 小数超过两位')}"
        checks.append(Check("too_many_decimals", cond, reason))
    elif col.type == "int":
        cond = rf"NOT regexp_full_match({v}, '[+-]?\d+') OR TRY_CAST({v} AS BIGINT) IS NULL"
        checks.append(Check("bad_integer", cond, f"{shown} || {lit(' is not an integer / 不是整数')}"))
    if col.type in ("decimal", "int"):
        value = f"TRY_CAST({v} AS DECIMAL(38,2))"
        if col.min is not None:
            rule = "negative_amount" if col.min == 0 else "out_of_range"
            text = " is negative / 不能为负数" if col.min == 0 else f" is below the minimum {_num(col.min)} / 小于下限"
            checks.append(Check(rule, f"{value} < {_num(col.min)}", f"{shown} || {lit(text)}"))
        if col.max is not None:
            text = f" is above the maximum {_num(col.max)} / 大于上限"
            checks.append(Check("out_of_range", f"{value} > {_num(col.max)}", f"{shown} || {lit(text)}"))
    if col.type == "enum" and col.values:
        allowed = ", ".join(lit(x) for x in col.values)
        reason = f"{shown} || {lit(' is not one of ' + '|'.join(col.values) + ' / 代码不在允许范围内')}"
        checks.append(Check("unknown_enum", f"{v} NOT IN ({allowed})", reason))
    return checks


def table_checks(spec: TableSpec) -> list[Check]:
    """Every check of a table in order: malformed row, then each column's checks."""
    checks = [Check(MALFORMED, "_malformed IS NOT NULL", "_malformed")]
    for col in spec.columns.values():
        checks.extend(column_checks(col))
    return checks


def first_failure_sql(checks: list[Check]) -> str:
    """SQL integer: 1-based index of the first failing check, 0 when the row passes them all."""
    whens = " ".join(f"WHEN {c.condition} THEN {i}" for i, c in enumerate(checks, start=1))
    return f"CASE {whens} ELSE 0 END"


def rule_sql(checks: list[Check], idx: str, dup_rule: str) -> tuple[str, str]:
    """SQL of ``_rule`` and ``_reason`` from the failing-check index ``idx`` (and duplicate rank)."""
    rules = " ".join(f"WHEN {i} THEN {lit(c.rule)}" for i, c in enumerate(checks, start=1))
    reasons = " ".join(f"WHEN {i} THEN {c.reason}" for i, c in enumerate(checks, start=1))
    dup_reason = (
        f"{lit('same key as ' if dup_rule == DUPLICATE_KEY else 'same row as ')} || _dup_first"
        f" || {lit(' / 与前一行重复')}"
    )
    rule = f"CASE WHEN {idx} = 0 AND _dup_rank > 1 THEN {lit(dup_rule)} ELSE CASE {idx} {rules} END END"
    reason = f"CASE WHEN {idx} = 0 AND _dup_rank > 1 THEN {dup_reason} ELSE CASE {idx} {reasons} END END"
    return rule, reason


def typed_expr(col: ColumnSpec, safe: bool = False) -> str:
    """SQL casting the trimmed text of a valid value to the column's warehouse type (TRY_CAST when ``safe``)."""
    v = trimmed(col)
    cast = "TRY_CAST" if safe else "CAST"
    if col.type == "str":
        return f"NULLIF({ident(col.name)}, '')"
    if col.type == "timestamp":
        return f"{cast}(replace({v}, 'T', ' ') AS TIMESTAMP)"
    if col.type in ("enum", "period"):
        return v
    return f"{cast}({v} AS {col.duckdb_type})"


def dedup_key(spec: TableSpec) -> tuple[list[str], str]:
    """Typed SQL expressions identifying a row (the contract key, else every contract column) and its rule."""
    names = spec.key or list(spec.columns)
    rule = DUPLICATE_KEY if spec.key else DUPLICATE_ROW
    return [typed_expr(spec.columns[n], safe=True) for n in names], rule
