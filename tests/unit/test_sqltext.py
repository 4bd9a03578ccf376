"""The shared SQL quoting helpers round-trip awkward text through a real engine."""

from __future__ import annotations

import duckdb
import pytest

from taxloop.sqltext import ident, lit


@pytest.mark.parametrize("text", ["plain", "it's", "''", 'say "hi"', "纳税人'识别号", ""])
def test_literal_and_identifier_round_trip(text: str) -> None:
    con = duckdb.connect()
    assert con.execute(f"SELECT {lit(text)}").fetchone() == (text,)
    if text:  # an identifier cannot be empty
        con.execute(f"CREATE TABLE t ({ident(text)} INTEGER)")
        assert [r[0] for r in con.execute("DESCRIBE t").fetchall()] == [text]


def test_quotes_are_doubled_not_escaped() -> None:
    assert lit("a'b") == "'a''b'"
    assert ident('a"b') == '"a""b"'
