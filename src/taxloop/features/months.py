"""Reading the month table (``taxloop.analytics.tin_months``) in place of the monthly sources' FULL OUTER JOINs.

``merge_months(tree, covered)`` rewrites a feature query in place: the CTEs that read one covered source row
by row (``SELECT <key and expressions> FROM vat_returns WHERE <predicate on tin_key>``: no join, no GROUP BY,
no aggregate, no window) and are members of a ``FULL OUTER JOIN ... USING (tin_key, pidx)`` chain become one
CTE over the month table, which has already joined them. Each member's expression becomes
``CASE WHEN <member present> THEN <expression over its prefixed columns> END`` (NULL where the member had no
row, as the outer join padded it), its ``pidx`` the table's ``pidx`` (computed with the same expression), and
the merged CTE keeps a row where any member is present. With a key unique per source (the loader quarantines
duplicate (tin, period) keys) the rows and values are those of the chain; a predicate on ``tin_key`` only
holds or fails for every member of a key alike, so it stays exact.

Nothing changes (False) when fewer than two such members share a chain, or a member is referenced other than
as a chain member.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import sqlglot
from sqlglot import exp

from taxloop.analytics.backend import AnalyticsBackend, OnWarehouse
from taxloop.analytics.keys import DICTIONARY
from taxloop.analytics.keys_manifest import read_manifest
from taxloop.analytics.tin_months import MONTHLY_SOURCES, MONTHS, PIDX_SQL, column, covered, present
from taxloop.features.prune import parse

KEYS = ("tin_key", "pidx")
MERGED = "tin_months_m"


def _member_source(cte: exp.CTE, sources: frozenset[str]) -> str | None:
    """The covered source a CTE reads row by row (see module doc), or None."""
    body = cte.this
    if not isinstance(body, exp.Select) or body.args.get("joins") or body.args.get("group"):
        return None
    if any(body.args.get(k) for k in ("having", "distinct", "qualify", "order", "limit", "with_")):
        return None
    source = body.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.name not in sources or table.args.get("db"):
        return None
    if any(isinstance(n, (exp.AggFunc, exp.Window, exp.Subquery, exp.Star)) for n in body.walk()):
        return None
    where = body.args.get("where")
    if where is not None and any(c.name != "tin_key" for c in where.find_all(exp.Column)):
        return None
    names = [p.alias_or_name for p in body.expressions]
    if "tin_key" not in names or "pidx" not in names or len(set(names)) != len(names):
        return None
    key = next(p for p in body.expressions if p.alias_or_name == "tin_key")
    pidx = next(p for p in body.expressions if p.alias_or_name == "pidx")
    if not isinstance(pidx, exp.Alias) or pidx.this.sql(dialect="duckdb") != _pidx_sql():
        return None  # the month index computed otherwise than the month table's
    return table.name if isinstance(key, exp.Column) and key.name == "tin_key" else None


@lru_cache(maxsize=1)
def _pidx_sql() -> str:
    return sqlglot.parse_one(PIDX_SQL, read="duckdb").sql(dialect="duckdb")


def months_covered(backend: AnalyticsBackend, relations: Mapping[str, str]) -> frozenset[str]:
    """The monthly sources a feature build on ``backend`` reads from the month table (``covered``): none when
    the scan looks up the dictionary or any monthly source's keys (``relations`` from ``prepare_keys``)."""
    if DICTIONARY in relations or any(s in relations for s in MONTHLY_SOURCES):
        return frozenset()
    if not isinstance(backend, OnWarehouse):
        return frozenset()
    wh = backend.warehouse
    return covered(wh, read_manifest(wh), set(backend.table_names()))


def months_notice(backend: AnalyticsBackend) -> str | None:
    """A note for whoever scans a warehouse whose keys are trusted but whose month table is missing or out of date
    (a source loaded or edited since, written by an older taxloop): what it costs and the fix; None otherwise (or
    with fewer than two monthly sources, where a month table would save nothing)."""
    if not isinstance(backend, OnWarehouse):
        return None
    tables = set(backend.table_names())
    sources = [s for s in MONTHLY_SOURCES if s in tables]
    if len(sources) < 2 or months_covered(backend, {}):
        return None
    root = backend.warehouse.root
    return (
        f"the month table ({MONTHS}) is missing or older than {', '.join(sources)}: this scan joins them (slower, "
        f"same results). `taxloop keys -w {root}` writes it, or says why it cannot / 月度合并表 ({MONTHS}) 缺失或"
        f"已过期: 本次扫描逐表关联月度数据 (较慢, 结果相同)。运行 `taxloop keys -w {root}` 可重新生成 "
        f"(不能生成时会说明原因)"
    )


def merged_sql(sql: str, sources: frozenset[str]) -> str:
    """``sql`` (DuckDB dialect) with ``merge_months`` applied (the same text when nothing changes)."""
    if sum(re.search(rf"\b{s}\b", sql) is not None for s in sources) < 2:
        return sql  # no chain of two covered sources to merge: not worth a parse (every table but features_period)
    tree = parse(sql)
    return tree.sql(dialect="duckdb", copy=False) if merge_months(tree, sources) else sql


def _renamed(node: exp.Expr, source: str) -> exp.Expr:
    """``node`` (copied) with every column but ``tin_key`` renamed to the month table's column of ``source``."""

    def swap(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Column) and n.name != "tin_key":
            return exp.column(column(source, n.name))
        if isinstance(n, exp.Column):
            return exp.column("tin_key")
        return n

    return node.copy().transform(swap)


def _where_sql(select: exp.Select) -> str:
    where = select.args.get("where")
    return "" if where is None else where.this.sql(dialect="duckdb")


def _strict(value: exp.Expr) -> bool:
    """Whether ``value`` is NULL whenever its one column is (a column, or casts of one): it needs no CASE."""
    while isinstance(value, exp.Cast):
        value = value.this
    return isinstance(value, exp.Column) and value.name != "tin_key"


def _condition(select: exp.Select, source: str) -> exp.Expr:
    where = select.args.get("where")
    flag = exp.column(present(source))
    return flag if where is None else exp.and_(flag, exp.paren(_renamed(where.this, source)))


def _chain_joins(tree: exp.Query, names: set[str]) -> tuple[exp.Select, list[exp.Expr]] | None:
    """The select whose FROM and FULL joins USING (tin_key, pidx) hold members, with each member's place in it
    (the FROM's table or the join)."""
    for select in tree.find_all(exp.Select):
        places: list[exp.Expr] = []
        source = select.args.get("from_")
        joins = select.args.get("joins") or []
        for join in joins:
            using = [u.name for u in join.args.get("using") or []]
            if isinstance(join.this, exp.Table) and join.this.name in names:
                if (join.side or "").upper() != "FULL" or sorted(using) != sorted(KEYS):
                    return None
                places.append(join)
        if source is not None and isinstance(source.this, exp.Table) and source.this.name in names:
            first = joins[0] if joins else None
            if first is None or (first.side or "").upper() != "FULL":
                return None
            places.insert(0, source.this)
        if places:
            return select, places
    return None


def merge_months(tree: exp.Query, sources: frozenset[str]) -> bool:
    """Rewrite ``tree`` in place to read the month table for the ``sources`` it covers (module doc); returns
    whether it changed."""
    if not sources:
        return False
    members = {c.alias: (c, s) for c in tree.ctes if (s := _member_source(c, sources)) is not None}
    uses = [t.name for t in tree.find_all(exp.Table) if t.name in members]
    aliased = {t.name for t in tree.find_all(exp.Table) if t.name in members and t.alias}
    members = {name: m for name, m in members.items() if uses.count(name) == 1 and name not in aliased}
    if any(c.table in members for c in tree.find_all(exp.Column)):
        return False  # a member's column read qualified: not only through the chain
    found = _chain_joins(tree, set(members))
    if found is None or len(found[1]) < 2:
        return False
    places = found[1]
    chosen = [p.name if isinstance(p, exp.Table) else p.this.name for p in places]
    wheres = {_where_sql(members[n][0].this) for n in chosen}
    shared = len(wheres) == 1  # the same predicate (a bucket of tin_key) on every member: applied once
    projections: list[exp.Expr] = [exp.column("tin_key"), exp.column("pidx")]
    conditions = []
    for name in chosen:
        cte, source = members[name]
        body = cte.this
        cond = exp.column(present(source)) if shared else _condition(body, source)
        conditions.append(cond)
        for p in body.expressions:
            if p.alias_or_name in KEYS:
                continue
            value = _renamed(p.this if isinstance(p, exp.Alias) else p, source)
            if not (shared and _strict(value)):
                value = exp.Case(ifs=[exp.If(this=cond.copy(), true=value)])
            projections.append(exp.alias_(value, p.alias_or_name))
    where: exp.Expr = exp.paren(exp.or_(*conditions)) if len(conditions) > 1 else conditions[0]
    common = members[chosen[0]][0].this.args.get("where")
    if shared and common is not None:
        where = exp.and_(where, exp.paren(_renamed(common.this, chosen[0])))
    merged = exp.select(*projections).from_(MONTHS).where(where.copy())
    first = places[0]
    for place in places[1:]:
        place.pop()
    target = first if isinstance(first, exp.Table) else first.this
    target.replace(exp.to_table(MERGED))
    with_ = tree.args["with_"]
    ctes = list(with_.expressions)
    at = min(i for i, c in enumerate(ctes) if c.alias in chosen)
    kept = [c for c in ctes if c.alias not in chosen]
    kept.insert(at, exp.CTE(this=merged, alias=exp.TableAlias(this=exp.to_identifier(MERGED))))
    with_.set("expressions", kept)
    return True
