"""Column-level pruning of one feature query: keep only the output columns a scan reads.

``prune(sql, keep, drop_sources)`` parses a DuckDB-dialect query with sqlglot and removes, until nothing more
changes: final projections not in ``keep``; CTE projections whose name is referenced nowhere outside that CTE
(names, not lineage: over-approximating is safe); CTEs nobody reads; and joins whose relation then contributes
no column but its join keys. The feature SQL is written so that this is sound (docs/scan.md, "Pruning"):

- a ``LEFT JOIN`` never multiplies rows (the right side is unique on the join key), so an unused one goes;
- a ``CROSS JOIN`` is to a one-row relation (``as_of``), so an unused one goes;
- an (inner) ``JOIN`` filters rows and always stays;
- a ``FULL OUTER JOIN ... USING (keys)`` chain defines the row set (a (tin, period) exists when any source has
  it): an unused member goes only with ``drop_sources=True``; otherwise it stays with its keys only, so the
  rows are exactly those of the full build.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache

import sqlglot
from sqlglot import exp


@lru_cache(maxsize=512)
def _parsed(sql: str) -> exp.Query:
    tree = sqlglot.parse_one(sql, read="duckdb")
    if not isinstance(tree, exp.Query):
        raise ValueError(f"not a query: {sql[:80]}")
    return tree


def parse(sql: str) -> exp.Query:
    """Parse one DuckDB-dialect query (a fresh copy: callers may change it)."""
    return _parsed(sql).copy()


def parse_shared(sql: str) -> exp.Query:
    """Parse one DuckDB-dialect query, cached: the same tree for every caller, to read and never to change
    (``parse`` gives a copy to change)."""
    return _parsed(sql)


def output_columns(sql: str | exp.Query) -> list[str]:
    """Names of the final projections of a query."""
    tree = _parsed(sql) if isinstance(sql, str) else sql
    return [p.alias_or_name for p in tree.selects]


def _walk(node: exp.Expr, *skip: exp.Expr | None) -> Iterator[exp.Expr]:
    """Every node under ``node`` (itself included), not descending into any of ``skip``."""
    skipped = {id(s) for s in skip if s is not None}
    stack = [node]
    while stack:
        cur = stack.pop()
        if id(cur) in skipped:
            continue
        yield cur
        stack.extend(cur.iter_expressions())


def _names(node: exp.Expr, skip: exp.Expr | None = None) -> set[str]:
    """Column names referenced under ``node`` (``USING`` keys included), outside ``skip``."""
    out: set[str] = set()
    for n in _walk(node, skip):
        if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star):
            out.add(n.name)
        elif isinstance(n, exp.Join):
            out.update(u.name for u in n.args.get("using") or [])
    return out


def _star_projection(select: exp.Select) -> bool:
    return any(
        isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star))
        for p in select.expressions
    )


def columns_read(sql: str | exp.Query, table: str) -> set[str] | None:
    """Columns a query may read from ``table``: every column name it mentions (an over-approximation), or
    ``None`` (all columns) when a ``*`` projection may reach the table; empty when it does not read it."""
    tree = _parsed(sql) if isinstance(sql, str) else sql
    reads = [t for t in tree.find_all(exp.Table) if t.name == table]
    if not reads:
        return set()
    for t in reads:
        select = t.parent_select
        if select is None or _star_projection(select):
            return None
    return _names(tree)


def _cte_select(cte: exp.CTE) -> exp.Select | None:
    body = cte.this
    return body if isinstance(body, exp.Select) and not _star_projection(body) else None


def _counts(nodes: Iterable[exp.Expr]) -> tuple[Counter[str], Counter[str]]:
    """Table names and column names (as ``_names`` counts them) under ``nodes``, each with its occurrences."""
    tables: Counter[str] = Counter()
    names: Counter[str] = Counter()
    for node in nodes:
        for n in _walk(node):
            if isinstance(n, exp.Table):
                tables[n.name] += 1
            elif isinstance(n, exp.Column) and not isinstance(n.this, exp.Star):
                names[n.name] += 1
            elif isinstance(n, exp.Join):
                names.update(u.name for u in n.args.get("using") or [])
    return tables, names


def _prune_ctes(tree: exp.Query) -> bool:
    # What is referenced outside a CTE: the whole tree's counts less the CTE's own, the whole tree's counted
    # once per pass and kept up to date as CTEs and projections go (a name is used where its count is > 0).
    changed = False
    tables, names = _counts([tree])
    for cte in list(tree.ctes):
        inner_tables, inner_names = _counts([cte])
        if tables[cte.alias] - inner_tables[cte.alias] <= 0:
            cte.pop()
            tables.subtract(inner_tables)
            names.subtract(inner_names)
            changed = True
            continue
        body = _cte_select(cte)
        if body is None:
            continue
        used = [p for p in body.expressions if names[p.alias_or_name] - inner_names[p.alias_or_name] > 0]
        kept = used or body.expressions[:1]
        if len(kept) < len(body.expressions):
            ids = {id(k) for k in kept}
            dropped_tables, dropped_names = _counts(p for p in body.expressions if id(p) not in ids)
            tables.subtract(dropped_tables)
            names.subtract(dropped_names)
            body.set("expressions", kept)
            changed = True
    return changed


def _provides(tree: exp.Query, rel: exp.Expr) -> list[str] | None:
    """Output names of a joined relation (a CTE or a subquery), None when unknown (a table, a ``*``)."""
    if isinstance(rel, exp.Subquery) and isinstance(rel.this, exp.Select) and not _star_projection(rel.this):
        return [p.alias_or_name for p in rel.this.expressions]
    if isinstance(rel, exp.Table):
        for cte in tree.ctes:
            if cte.alias == rel.name:
                body = _cte_select(cte)
                return None if body is None else [p.alias_or_name for p in body.expressions]
    return None


def _unused(tree: exp.Query, select: exp.Select, rel: exp.Expr, join: exp.Expr) -> bool:
    """Whether ``rel`` (joined by ``join``, or the FROM when ``join`` is the FROM) contributes nothing to
    ``select`` but its join keys."""
    alias = rel.alias_or_name
    keys = {u.name for u in join.args.get("using") or []} | _names(join.args.get("on") or exp.true())
    outside = [c for c in _walk(select, join, select.args.get("with_")) if isinstance(c, exp.Column)]
    if any(c.table == alias for c in outside):
        return False
    provides = _provides(tree, rel)
    if _star_projection(select):
        if provides is None:
            return False
        body = next((c for c in tree.ctes if c.alias == rel.name), None) if isinstance(rel, exp.Table) else rel
        return not (set(provides) - keys) & _names(tree, body)
    unqualified = {c.name for c in outside if not c.table}
    if provides is None:
        return not unqualified
    return not (set(provides) - keys) & unqualified


def _drop_joins(tree: exp.Query, drop_sources: bool) -> bool:
    changed = False
    for select in list(tree.find_all(exp.Select)):
        joins = select.args.get("joins") or []
        for join in list(joins):
            side, kind = (join.side or "").upper(), (join.kind or "").upper()
            if side == "FULL" and not drop_sources:
                continue
            if side not in ("LEFT", "FULL") and kind != "CROSS":
                continue
            if _unused(tree, select, join.this, join):
                join.pop()
                changed = True
        joins = select.args.get("joins") or []
        source = select.args.get("from_")
        if drop_sources and source is not None and joins and (joins[0].side or "").upper() == "FULL":
            first = joins[0]
            if first.args.get("using") and _unused(tree, select, source.this, first):
                first.pop()
                source.set("this", first.this)
                changed = True
    return changed


def prune(sql: str, keep: Iterable[str] | None, drop_sources: bool = False) -> str:
    """``sql`` with only the final columns in ``keep`` (all when None) and what they need (see module doc)."""
    return prune_tree(parse(sql), keep, drop_sources).sql(dialect="duckdb", copy=False)  # the tree is ours


def prune_tree(tree: exp.Query, keep: Iterable[str] | None, drop_sources: bool = False) -> exp.Query:
    """``prune`` on a parsed query: changes ``tree`` in place and returns it."""
    if keep is not None:
        wanted = set(keep)
        kept = [p for p in tree.selects if p.alias_or_name in wanted]
        if not kept:
            raise ValueError("prune: none of the wanted columns is an output of the query")
        tree.set("expressions", kept)
    while _prune_ctes(tree) | _drop_joins(tree, drop_sources):
        pass
    return tree
