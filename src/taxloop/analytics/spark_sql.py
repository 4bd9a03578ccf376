"""DuckDB-dialect SQL to Spark SQL: sqlglot's transpiler plus the few rewrites it gets wrong or lacks.

Rule files, feature SQL and integrity rules are written once in DuckDB's dialect. sqlglot transpiles them;
the functions below fix the constructs whose Spark translation is missing or means something else:

- ``isodow(x)`` (ISO day of week, Monday 1 … Sunday 7): sqlglot emits ``DAYOFWEEK(x) % 7 + 1``, which is the
  ISO number only for DuckDB's Sunday-0 ``dayofweek``; Spark's ``dayofweek`` is Sunday-1, so it becomes
  ``(dayofweek(x) + 5) % 7 + 1``;
- ``quantile_cont(x, q)`` (exact, linear interpolation) becomes Spark's exact ``percentile(x, q)`` (sqlglot
  emits a two-argument ``percentile_cont`` Spark rejects);
- ``to_days(n)``, ``to_hours(n)``, ``to_minutes(n)`` become ``make_dt_interval(...)``;
- ``regexp_replace`` replacements refer to groups as ``\\1`` in DuckDB (RE2) and ``$1`` in Spark (Java); a
  literal ``$`` is escaped. (Spark always replaces every match; DuckDB without the ``'g'`` flag only the first —
  rules use ``'g'`` or anchored patterns, where both agree.)
- ``nfc_normalize(x)`` becomes ``x``: Spark has no Unicode normalisation, so on Spark text is compared as
  delivered (the loader keeps text as delivered too; see docs/integrity.md).
- ``CAST(x AS HUGEINT)`` (DuckDB's 128-bit integer, the type of its sum of integers; the feature SQL casts a count
  to it to keep the type a sum had) becomes ``CAST(x AS BIGINT)``, the type of Spark's sum of integers (sqlglot
  emits ``INT128``, which Spark lacks).
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

_INTERVALS = {"to_days": 0, "to_hours": 1, "to_minutes": 2}


def _interval(position: int, amount: exp.Expression) -> exp.Expression:
    args: list[exp.Expression] = [exp.Literal.number(0) for _ in range(position)]
    return exp.Anonymous(this="make_dt_interval", expressions=[*args, amount])


def _java_replacement(text: str) -> str:
    """A DuckDB (RE2) replacement string in Java's syntax: ``\\N`` -> ``$N``, a literal ``$`` escaped."""
    return re.sub(r"\\(\d)", r"$\1", text.replace("$", "\\$"))


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.INT128:
        return exp.DataType.build("BIGINT")
    if isinstance(node, exp.RegexpReplace):
        replacement = node.args.get("replacement")
        if isinstance(replacement, exp.Literal) and replacement.is_string:
            node.set("replacement", exp.Literal.string(_java_replacement(replacement.this)))
        return node
    if isinstance(node, exp.DayOfWeekIso):
        dow = exp.Anonymous(this="dayofweek", expressions=[node.this])
        shifted = exp.Mod(
            this=exp.Paren(this=exp.Add(this=dow, expression=exp.Literal.number(5))), expression=exp.Literal.number(7)
        )
        return exp.Paren(this=exp.Add(this=shifted, expression=exp.Literal.number(1)))
    if isinstance(node, exp.PercentileCont) and node.expression is not None and not node.find_ancestor(exp.WithinGroup):
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    if isinstance(node, exp.ToDays):
        return _interval(0, node.this)
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        if name in _INTERVALS and len(node.expressions) == 1:
            return _interval(_INTERVALS[name], node.expressions[0])
        if name == "nfc_normalize" and len(node.expressions) == 1:
            inner: exp.Expression = node.expressions[0]
            return inner
    return node


def to_spark_sql(sql: str) -> str:
    """Transpile one DuckDB-dialect statement to Spark SQL (with the rewrites listed in the module doc)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return tree.transform(_rewrite).sql(dialect="spark")
