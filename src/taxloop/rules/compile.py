"""Compile a rule's SQL for a backend: substitute parameters, check it parses, transpile."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from taxloop.rules.spec import OUTPUT_COLUMNS, RuleSpec


class RuleCompileError(ValueError):
    """The rule's SQL does not parse or does not return the required columns."""


def resolve_params(
    spec: RuleSpec,
    region_code: str | None = None,
    industry_code: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Defaults, then matching per-region/industry overrides from the file, then explicit overrides."""
    values = spec.defaults()
    for ov in spec.overrides:
        if ov.region_code and ov.region_code != region_code:
            continue
        if ov.industry_prefix and not (industry_code or "").startswith(ov.industry_prefix):
            continue
        values.update(ov.params)
    values.update(overrides or {})
    return values


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


@lru_cache(maxsize=1024)
def _parsed(sql: str) -> exp.Expr:
    """The parse of ``sql``, shared between calls: never changed (``bind_params`` transforms a copy)."""
    return sqlglot.parse_one(sql, read="duckdb")


def bind_params(sql: str, values: dict[str, Any], dialect: str = "duckdb", label: str = "SQL") -> exp.Expression:
    """Parse DuckDB-dialect ``sql`` and replace every ``:name`` placeholder by the literal in ``values``
    (a new tree: the caller may change it)."""
    try:
        tree = _parsed(sql)
    except sqlglot.errors.ParseError as exc:
        raise RuleCompileError(f"{label}: SQL does not parse: {exc}") from exc

    def _sub(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in values:
                raise RuleCompileError(f"{label}: no value for parameter :{node.name}")
            return _literal(values[node.name])
        return node

    return tree.transform(_sub)  # copies the shared parse first


_Key = tuple[tuple[str, type, str, Any], ...]


def _key(values: dict[str, Any]) -> _Key | None:
    """``values`` as a cache key: with each value's type and repr, as ``1``, ``1.0``, ``True``, ``0.0`` and
    ``-0.0`` are equal keys but different literals; None when a value is not hashable."""
    key = tuple(sorted((k, type(v), repr(v), v) for k, v in values.items()))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _compile(sql: str, code: str, dialect: str, values: dict[str, Any]) -> str:
    tree = bind_params(sql, values, dialect, code)
    if isinstance(tree, exp.Query):
        names = [s.alias_or_name for s in tree.selects]
        missing = [c for c in OUTPUT_COLUMNS if c not in names]
        if missing:
            raise RuleCompileError(f"{code}: SELECT must return {OUTPUT_COLUMNS}; missing {missing}")
    return tree.sql(dialect=dialect, copy=False)  # the tree is this call's own: no copy needed


@lru_cache(maxsize=2048)
def _compiled(sql: str, code: str, dialect: str, key: _Key) -> str:
    return _compile(sql, code, dialect, {k: v for k, _, _, v in key})


def compile_rule(spec: RuleSpec, dialect: str = "duckdb", params: dict[str, Any] | None = None) -> str:
    """SQL for ``dialect`` with parameters substituted as literals (cached per SQL, dialect and values)."""
    values = params if params is not None else spec.defaults()
    key = _key(values)
    if key is None:
        return _compile(spec.sql, spec.code, dialect, values)
    return _compiled(spec.sql, spec.code, dialect, key)
