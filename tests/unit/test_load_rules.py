"""The validation SQL generated from the contract finds the first failing rule and names column and value."""

from __future__ import annotations

import duckdb
import pytest

from taxloop.contract.schema import ColumnSpec, TableSpec, load_contract
from taxloop.load.rules import (
    dedup_key,
    first_failure_sql,
    ident,
    lit,
    read_expr,
    rule_sql,
    table_checks,
)


def _spec() -> TableSpec:
    cols = {
        "id": ColumnSpec(name="id", type="str"),
        "day": ColumnSpec(name="day", type="date"),
        "at": ColumnSpec(name="at", type="timestamp", optional=True),
        "per": ColumnSpec(name="per", type="period", optional=True),
        "amt": ColumnSpec(name="amt", type="decimal", min=0),
        "net": ColumnSpec(name="net", type="decimal", optional=True),
        "lvl": ColumnSpec(name="lvl", type="int", optional=True, min=1, max=5),
        "kind": ColumnSpec(name="kind", type="enum", values=["a", "b"]),
    }
    return TableSpec(name="t", group="core", key=["id"], columns=cols)


GOOD = {"id": "X1", "day": "2024-02-29", "at": "2024-01-01T08:00:00", "per": "2024-12", "amt": "12.50",
        "net": "-3", "lvl": "5", "kind": "a"}  # fmt: skip


def _rule_of(**overrides: str | None) -> tuple[str | None, str | None]:
    spec = _spec()
    row = {**GOOD, **overrides}
    values = ", ".join(
        f"{read_expr(spec.columns[k], 'NULL' if v is None else lit(v))} AS {ident(k)}" for k, v in row.items()
    )
    checks = table_checks(spec)
    rule, reason = rule_sql(checks, "_rule_idx", "duplicate_key")
    sql = (
        f"WITH r AS (SELECT {values}, CAST(NULL AS VARCHAR) AS _malformed),"
        f" c AS (SELECT *, {first_failure_sql(checks)} AS _rule_idx, 1 AS _dup_rank, '' AS _dup_first FROM r)"
        f" SELECT {rule}, {reason} FROM c"
    )
    got = duckdb.sql(sql).fetchall()[0]
    return got[0], got[1]


def test_a_valid_row_passes() -> None:
    assert _rule_of() == (None, None)
    assert _rule_of(at=None, per="", net=" ", lvl=None) == (None, None)  # empty optional values are fine
    assert _rule_of(amt="12.500", at="2024-01-01 08:00:00.5") == (None, None)  # trailing zero, space separator


@pytest.mark.parametrize(
    ("overrides", "rule", "named"),
    [
        ({"id": ""}, "missing_value", "id"),
        ({"day": "2024-02-30"}, "bad_date", "'2024-02-30'"),
        ({"day": "2024/01/05"}, "bad_date", "'2024/01/05'"),
        ({"at": "2024-01-01"}, "bad_timestamp", "at"),
        ({"per": "2024-13"}, "bad_period", "'2024-13'"),
        ({"amt": "1,000"}, "bad_number", "'1,000'"),
        ({"amt": "12.345"}, "too_many_decimals", "'12.345'"),
        ({"amt": "-0.01"}, "negative_amount", "'-0.01'"),
        ({"lvl": "6"}, "out_of_range", "'6'"),
        ({"lvl": "0"}, "out_of_range", "minimum 1"),
        ({"lvl": "2.5"}, "bad_integer", "lvl"),
        ({"kind": "c"}, "unknown_enum", "'c'"),
    ],
)
def test_each_rule_fires_with_a_reason(overrides: dict[str, str], rule: str, named: str) -> None:
    got_rule, reason = _rule_of(**overrides)
    assert got_rule == rule
    assert reason is not None and named in reason and next(iter(overrides)) in reason


def test_first_failing_rule_in_column_order_wins() -> None:
    assert _rule_of(day="bad", kind="zzz")[0] == "bad_date"


def test_keyless_tables_dedupe_on_every_column() -> None:
    spec = load_contract().table("taxpayer_changes")
    keys, rule = dedup_key(spec)
    assert rule == "duplicate_row" and len(keys) == len(spec.columns)
    keys, rule = dedup_key(load_contract().table("vat_returns"))
    assert rule == "duplicate_key" and len(keys) == 2


def test_every_contract_table_compiles() -> None:
    con = duckdb.connect()
    for spec in load_contract().tables.values():
        cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {ident(c)}" for c in spec.columns)
        checks = table_checks(spec)
        sql = f"SELECT {first_failure_sql(checks)} FROM (SELECT {cols}, CAST(NULL AS VARCHAR) AS _malformed)"
        first = con.execute(sql).fetchall()[0][0]
        assert checks[first - 1].rule == "missing_value"  # an all-empty row misses its first required column
