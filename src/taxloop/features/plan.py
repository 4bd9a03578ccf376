"""A pruned feature build for a scan of some rules: only the feature columns those rules read.

``plan_features(specs, present, buckets)`` works out, from the rules' SQL (sqlglot, by column name), which
columns of each feature table the rules read; walks the tables downstream-first so that a pruned table's own
SQL says what it needs of the tables it reads; and renders each needed table's SQL pruned
(``taxloop.features.prune``). ``build_pruned`` stages the result on the backend (``AnalyticsBackend.stage``: in
the backend's memory, shadowing the warehouse's full tables for this backend only; never written to disk).

Row set: pruning a member of a ``FULL OUTER JOIN`` chain removes the keys only it had (a month with only a
utilities row disappears from ``features_period``). That is allowed only when no consumer of the table
depends on its row set: a downstream feature column listed in ``ROW_SET_DEPENDENT``, or a rule that is not
proven blind to such rows (``taxloop.features.rowset``). Otherwise the member stays with its keys only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.analytics.keys import prepare_keys
from taxloop.features.build import (
    FEATURE_TABLES,
    FeatureBuildError,
    bucketed,
    depends_on,
    feature_sql,
    key_parts,
    render,
    sources_read,
    tin_buckets,
)
from taxloop.features.months import merge_months, months_covered
from taxloop.features.plan_cache import cached, plan_key
from taxloop.features.prune import columns_read, output_columns, parse, parse_shared, prune_tree
from taxloop.features.rowset import blind_to_blank_rows
from taxloop.rules.compile import compile_rule
from taxloop.rules.spec import RuleSpec

#: Columns of a feature table whose values depend on which rows the feature tables it reads have (counts of
#: rows, averages, first/last period, the latest period as "as of"); ``None``: every column (its own rows
#: come from the upstream rows). A consumer needing one of them keeps the upstream row set exact.
_ENTITY_ROW_SET = ("months_n", "first_pidx", "last_pidx", "asof_pidx", "iit_employees_avg", "si_insured_avg",
                   "land_parcels_n", "land_area_m2", "land_held_from")  # fmt: skip
ROW_SET_DEPENDENT: dict[str, frozenset[str] | None] = {
    "features_entity": frozenset(_ENTITY_ROW_SET),
    "features_year": None,
}


@dataclass
class FeaturePlan:
    """What a pruned build stages: each table's SQL parts in build order, and the columns kept."""

    sql: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    sources_dropped: dict[str, bool] = field(default_factory=dict)


def _add(needs: dict[str, set[str] | None], table: str, cols: set[str] | None, outputs: list[str]) -> None:
    if table in needs and needs[table] is None:
        return
    if cols is None:
        needs[table] = None
        return
    wanted = (cols & set(outputs)) or {outputs[0]}
    needs[table] = (needs.get(table) or set()) | wanted


Relations = tuple[tuple[str, str], ...]


@lru_cache(maxsize=128)
def feature_sql_rendered(
    table: str,
    present: frozenset[str] = frozenset(),
    bucket: int = 0,
    buckets: int = 1,
    relations: Relations = (),
    span: int = 0,
) -> str:
    """A feature table's SQL with sources filled (absent ones empty; ``relations`` and ``span`` as in ``render``)
    — the form the pruner parses."""
    return render(feature_sql(table), set(present), bucket, buckets, dict(relations), span)


@lru_cache(maxsize=64)
def _outputs(table: str, present: frozenset[str]) -> list[str]:
    return output_columns(feature_sql_rendered(table, present))


def rule_variants(spec: RuleSpec) -> list[str]:
    """The rule's SQL with its default parameters, with each override's, and with all overrides applied."""
    params = [spec.defaults()]
    merged = spec.defaults()
    for override in spec.overrides:
        params.append({**spec.defaults(), **override.params})
        merged.update(override.params)
    params.append(merged)
    return [compile_rule(spec, params=p) for p in params]


def plan_features(
    specs: Sequence[RuleSpec],
    present: set[str],
    buckets: int = 1,
    relations: Mapping[str, str] | None = None,
    months: frozenset[str] = frozenset(),
    span: int = 0,
) -> FeaturePlan:
    """The pruned build for ``specs`` (see module doc); ``relations`` fill placeholders and ``buckets`` parts
    split the keys ``1..span`` as in ``render``; the monthly sources in ``months`` are read from the month table
    (``taxloop.features.months``)."""
    frozen = frozenset(present)
    rel: Relations = tuple(sorted((relations or {}).items()))
    needs: dict[str, set[str] | None] = {}
    row_dependent: dict[str, bool] = {}
    for spec in specs:
        variants = [parse_shared(sql) for sql in dict.fromkeys(rule_variants(spec))]  # read only, distinct
        for table in FEATURE_TABLES:
            cols = columns_read(variants[0], table)
            if cols is not None and not cols:
                continue
            _add(needs, table, cols, _outputs(table, frozen))
            full = feature_sql_rendered(table, frozen)
            blind = cols is not None and all(blind_to_blank_rows(v, table, full) for v in variants)
            row_dependent[table] = row_dependent.get(table, False) or not blind
    plan = FeaturePlan()
    for table in reversed(FEATURE_TABLES):
        if table not in needs:
            continue
        keep = needs[table]
        drop = not row_dependent.get(table, False)
        parts = []
        trees = []  # each bucket's pruned tree; bucket 0's is read below, so generated from a copy
        # a table without a bucket placeholder is one query, not one per part (each part would repeat its rows)
        for k in range(buckets if bucketed(table) else 1):
            tree = parse(feature_sql_rendered(table, frozen, k, buckets, rel, span))
            # the row order only helps Parquet readers (a staged table is not one); dropped before pruning, so
            # that its columns do not count as used
            tree.set("order", None)
            trees.append(prune_tree(tree, keep, drop_sources=drop))
            merge_months(trees[-1], months)
            parts.append(trees[-1].sql(dialect="duckdb", copy=k == 0))
        tree = trees[0]
        plan.sql[table] = parts
        plan.columns[table] = output_columns(tree)
        plan.sources_dropped[table] = drop
        local = {c.alias for c in tree.ctes}
        for upstream in depends_on(table):
            if upstream in local:
                continue
            cols = columns_read(tree, upstream)
            if cols is not None and not cols:
                continue
            _add(needs, upstream, cols, _outputs(upstream, frozen))
            dependent = ROW_SET_DEPENDENT.get(table, frozenset())
            hit = dependent is None or keep is None or bool(dependent & keep)
            row_dependent[upstream] = row_dependent.get(upstream, False) or (table in ROW_SET_DEPENDENT and hit)
    plan.sql = {t: plan.sql[t] for t in FEATURE_TABLES if t in plan.sql}
    return plan


def _is_plan(entry: dict[str, object]) -> bool:
    """Whether a cache entry has ``FeaturePlan``'s fields with their types (a damaged one, or one of another
    shape, e.g. written by an older taxloop, is planned anew)."""
    sql, columns, dropped = entry.get("sql"), entry.get("columns"), entry.get("sources_dropped")
    return (
        set(entry) == {"sql", "columns", "sources_dropped"}
        and isinstance(sql, dict)
        and all(isinstance(p, list) and p and all(isinstance(x, str) for x in p) for p in sql.values())
        and isinstance(columns, dict)
        and all(isinstance(c, list) and all(isinstance(x, str) for x in c) for c in columns.values())
        and isinstance(dropped, dict)
        and all(isinstance(d, bool) for d in dropped.values())
    )


def pruned_plan(
    backend: AnalyticsBackend, specs: Sequence[RuleSpec], plan_cache: Path | None = None
) -> tuple[FeaturePlan, bool]:
    """The pruned plan of ``specs`` over this backend's tables, and whether it was read from ``plan_cache`` (a
    folder: ``taxloop.features.plan_cache``; a plan made anew is stored there)."""
    present = set(backend.table_names())
    if "taxpayers" not in present:
        raise FeatureBuildError("cannot build features: table 'taxpayers' is absent (纳税人登记表缺失)")
    buckets = tin_buckets(backend)
    relations = prepare_keys(backend)
    months = months_covered(backend, relations)
    parts, span = key_parts(backend, relations, buckets)
    buckets = parts or 1
    entry, hit = cached(
        plan_cache,
        lambda: plan_key(specs, present & sources_read(), (buckets, span), relations, months),
        lambda: asdict(plan_features(specs, present, buckets, relations, months, span)),
        _is_plan,
    )
    return FeaturePlan(**entry), hit


def stage_plan(backend: AnalyticsBackend, plan: FeaturePlan) -> dict[str, int]:
    """Stage each table of ``plan`` on the backend (``backend.stage``); returns each one's row count."""
    counts: dict[str, int] = {}
    for table, parts in plan.sql.items():
        try:
            counts[table] = backend.stage(table, parts)
        except Exception as exc:
            raise FeatureBuildError(f"building pruned {table} failed: {exc}") from exc
    return counts


def build_pruned(
    backend: AnalyticsBackend, specs: Sequence[RuleSpec], plan_cache: Path | None = None
) -> dict[str, int]:
    """Stage the pruned feature tables ``specs`` read (``pruned_plan``, then ``stage_plan``); returns each one's
    row count."""
    return stage_plan(backend, pruned_plan(backend, specs, plan_cache)[0])
