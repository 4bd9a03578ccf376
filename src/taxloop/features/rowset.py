"""Is a rule blind to the rows a pruned feature build leaves out?

A feature table built by a ``FULL OUTER JOIN ... USING (keys)`` chain has a row for every key any source has.
Dropping a source nobody reads removes the keys only it had; on such a *blank* row every column of the kept
sources holds its "no row" value (``coalesce(k.out_n, 0)`` gives 0, ``k.vat_sales`` gives NULL, ...). A rule
is blind to blank rows when every SELECT of it that reads the table reads it alone (no join) and has a WHERE
conjunct over non-key columns that is not TRUE on a blank row: then no blank row reaches its aggregates,
windows or output, whatever rows there are. A conjunct calling the clock, chance or the session (``current_date``,
``now()``, ``random()``...) proves nothing: its value may change after the plan was made (and cached). Anything
else counts as not blind (the source stays, key-only).
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
from sqlglot import exp

from taxloop.features.prune import parse_shared


def _conjuncts(where: exp.Expr) -> list[exp.Expr]:
    node = where.this if isinstance(where, exp.Where) else where
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    if isinstance(node, exp.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


@lru_cache(maxsize=64)
def blank_values(table_sql: str) -> dict[str, exp.Expr] | None:
    """Per output column not derived from the chain's keys: its value on a blank row (an expression with the
    source columns as NULL). ``None`` when the query has no ``FULL OUTER JOIN ... USING`` chain."""
    tree = parse_shared(table_sql)  # read only: ``transform`` below works on a copy
    keys: set[str] = set()
    for join in tree.find_all(exp.Join):
        if (join.side or "").upper() == "FULL" and join.args.get("using"):
            keys.update(u.name for u in join.args["using"])
    source = tree.args.get("from_")
    if not keys or source is None:
        return None
    chain = source.this.alias_or_name
    out: dict[str, exp.Expr] = {}
    for proj in tree.selects:
        cols = list(proj.find_all(exp.Column))
        if all(c.table == chain and c.name not in keys for c in cols):
            expr = proj.this if isinstance(proj, exp.Alias) else proj
            out[proj.alias_or_name] = expr.transform(lambda n: exp.null() if isinstance(n, exp.Column) else n)
    return out


#: Functions whose value depends on when, where or by whom a query runs (DuckDB names sqlglot keeps as
#: ``Anonymous``); sqlglot's own classes for such functions are found by name in ``_volatile``.
_VOLATILE_NAMES = frozenset({
    "now", "today", "get_current_time", "get_current_timestamp", "transaction_timestamp", "statement_timestamp",
    "current_localtime", "current_localtimestamp", "random", "setseed", "uuid", "gen_random_uuid", "nextval",
    "currval", "current_setting", "txid_current", "version",
})  # fmt: skip
_VOLATILE_CLASSES = ("Rand", "Randn", "Randstr", "Systimestamp", "Uuid")


def _volatile(node: exp.Expr) -> bool:
    """Whether ``node`` is a call whose value is not fixed by its arguments (the clock, the session, chance)."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower() in _VOLATILE_NAMES
    name = type(node).__name__
    return name.startswith(("Current", "Local")) or name in _VOLATILE_CLASSES


def _false_on_blank(conjunct: exp.Expr, blank: dict[str, exp.Expr], alias: str) -> bool:
    cols = list(conjunct.find_all(exp.Column))
    if not cols or any(c.name not in blank or (c.table and c.table != alias) for c in cols):
        return False
    if any(isinstance(n, exp.Subquery | exp.Select) or _volatile(n) for n in conjunct.walk()):
        return False  # a subquery, or a value that may differ on another day (and in a cached plan): not proven

    def _sub(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column):
            return exp.Paren(this=blank[node.name].copy())
        return node

    probe = conjunct.copy().transform(_sub)
    try:
        rows = duckdb.execute(f"SELECT CAST(({probe.sql(dialect='duckdb')}) AS BOOLEAN)").fetchall()
    except duckdb.Error:
        return False
    return bool(rows) and rows[0][0] is not True


def blind_to_blank_rows(rule: exp.Expr | str, table: str, table_sql: str) -> bool:
    """Whether the rule's result cannot change when blank rows of ``table`` come or go (module doc)."""
    blank = blank_values(table_sql)
    if blank is None:
        return True  # no FULL chain: pruning never changes the table's rows
    tree = parse_shared(rule) if isinstance(rule, str) else rule
    for select in tree.find_all(exp.Select):
        source = select.args.get("from_")
        reads = [t for t in select.find_all(exp.Table) if t.name == table and t.parent_select is select]
        if not reads:
            continue
        if select.args.get("joins") or source is None or not isinstance(source.this, exp.Table):
            return False
        where = select.args.get("where")
        alias = source.this.alias_or_name
        if where is None or not any(_false_on_blank(c, blank, alias) for c in _conjuncts(where)):
            return False
    return True
