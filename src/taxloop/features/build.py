"""Materialise the feature tables from the warehouse's contract tables.

The SQL lives in ``sql/NN_<table>.sql`` (DuckDB dialect, transpiled for Spark by the backend).
Source tables appear as ``{name}`` placeholders: a table the warehouse holds is used as is, an
absent one (every contract table but ``taxpayers`` is optional) becomes an empty relation with
the contract's columns, so features that depend on it are simply zero or NULL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import resources

from rich.progress import Progress

from taxloop.analytics.backend import AnalyticsBackend, OnWarehouse
from taxloop.analytics.keys import DICTIONARY, GENERATION, KEY_COLUMNS, prepare_keys, render_source
from taxloop.analytics.warehouse import Warehouse
from taxloop.contract.schema import load_contract
from taxloop.features.months import merged_sql, months_covered
from taxloop.features.reuse import FeatureRecord, inputs_key, read_record

#: Derived tables written, in build order (each may read the ones before it).
FEATURE_TABLES = (
    "features_tin",
    "features_period",
    "features_year",
    "features_entity",
    "features_pairs",
)

#: Feature tables an older taxloop wrote and this one does not (the invoice cells, until session 12): a build on a
#: warehouse deletes them (``drop_obsolete``), so that no rule reads their stale rows (one that names such a table
#: is skipped: table absent).
OBSOLETE_TABLES = ("features_invoice_cells",)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_BUCKET = re.compile(r"\{bucket\(([a-z_.]+)\)\}")
#: Taxpayers per bucket: a table whose SQL holds ``{bucket(col)}`` is built in ceil(TINs / this) parts, each
#: over one range of TIN keys (``bucket_sql``), so its joins and aggregates hold one part in memory at a time.
TINS_PER_BUCKET = 300_000
_EXTRA_SOURCES: dict[str, dict[str, str]] = {
    "entity_map": {"registration_id": "VARCHAR", "tin": "VARCHAR", "entity_id": "VARCHAR"},
    DICTIONARY: {"tin": "VARCHAR", "tin_key": "INTEGER", GENERATION: "BIGINT"},
}


class FeatureBuildError(RuntimeError):
    """A feature table could not be built (message names the table)."""


def feature_sql(table: str) -> str:
    """The SQL template of one feature table (with ``{source}`` placeholders)."""
    index = FEATURE_TABLES.index(table) + 1
    name = f"{index:02d}_{table}.sql"
    return resources.files("taxloop.features").joinpath("sql", name).read_text(encoding="utf-8")


def _columns_of(source: str) -> dict[str, str]:
    if source in _EXTRA_SOURCES:
        return _EXTRA_SOURCES[source]
    spec = load_contract().table(source)
    keys = {key: "INTEGER" for key in KEY_COLUMNS.get(source, {}).values()}
    return {**{name: col.duckdb_type for name, col in spec.columns.items()}, **keys}


def sources_read() -> set[str]:
    """Every ``{source}`` placeholder of the feature SQL: the only tables whose presence changes what it renders."""
    return {m.group(1) for table in FEATURE_TABLES for m in _PLACEHOLDER.finditer(feature_sql(table))}


def empty_relation(source: str) -> str:
    """A subquery with ``source``'s columns (contract types) and no rows."""
    cols = ", ".join(f"CAST(NULL AS {typ}) AS {name}" for name, typ in _columns_of(source).items())
    return f"(SELECT {cols} WHERE 1 = 0)"


def render(
    template: str,
    present: set[str],
    bucket: int = 0,
    buckets: int = 1,
    relations: Mapping[str, str] | None = None,
    span: int = 0,
) -> str:
    """Fill ``{source}`` placeholders (``relations[source]`` when given — see ``taxloop.analytics.keys`` —, else
    the table itself when present, else an empty relation) and ``{bucket(col)}`` ones (``bucket_sql``: ``col`` is
    in part ``bucket`` of ``buckets`` over the keys ``1..span``; TRUE with one part)."""

    def _fill(match: re.Match[str]) -> str:
        source = match.group(1)
        return render_source(source, present, relations or {}) or empty_relation(source)

    def _bucket(match: re.Match[str]) -> str:
        return bucket_sql(match.group(1), bucket, buckets, span)

    return _BUCKET.sub(_bucket, _PLACEHOLDER.sub(_fill, template))


def bucket_sql(column: str, bucket: int, buckets: int, span: int) -> str:
    """Whether the TIN key ``column`` is in part ``bucket`` of ``buckets``: equal ranges of the keys ``1..span``
    (keys are dense from 1, ``taxloop.analytics.keys``; ``span`` is the largest, ``key_span``). The first part
    also takes smaller keys and NULL and the last larger keys, so every row is in exactly one part whatever
    ``span`` is (it decides only how even the parts are). A range, not a hash: the parts of a table written in
    key order are in order one after the other, and a part's reader skips the Parquet row groups of a file in
    key order (the month table) whose key range lies outside its own."""
    if buckets <= 1:
        return "TRUE"
    if span < 1:
        raise ValueError(f"bucket_sql: {buckets} parts need the largest key (span), got {span}")
    width = -(-span // buckets)
    low, high = bucket * width, (bucket + 1) * width
    if bucket == 0:
        return f"({column} <= {high} OR {column} IS NULL)"
    if bucket == buckets - 1:
        return f"{column} > {low}"
    return f"({column} > {low} AND {column} <= {high})"


def key_span(backend: AnalyticsBackend, relations: Mapping[str, str]) -> int:
    """The largest TIN key of the dictionary the feature SQL reads (``relations`` as from ``prepare_keys``); 0
    when it is empty or absent."""
    source = render_source(DICTIONARY, set(backend.table_names()), relations)
    if source is None:
        return 0
    value = backend.query(f"SELECT max(tin_key) AS k FROM {source} AS d").column(0)[0].as_py()
    return int(value or 0)


def key_parts(backend: AnalyticsBackend, relations: Mapping[str, str], buckets: int | None) -> tuple[int | None, int]:
    """The number of parts (``buckets``; None: decided later) and the largest key they split (``key_span``): one
    part, span 0, when there is nothing to split (one part asked for, or no key at all: an empty register)."""
    if buckets is not None and buckets <= 1:
        return buckets, 0
    span = key_span(backend, relations)
    return (buckets if span >= 1 else 1), span


def tin_buckets(backend: AnalyticsBackend) -> int:
    """The default number of parts: one per ``TINS_PER_BUCKET`` registered TINs (at least one)."""
    tins = backend.query("SELECT count(DISTINCT tin) AS n FROM taxpayers").column(0)[0].as_py()
    return max(1, -(-int(tins or 0) // TINS_PER_BUCKET))


def _materialize(
    backend: AnalyticsBackend,
    table: str,
    template: str,
    present: set[str],
    buckets: int,
    relations: Mapping[str, str],
    months: frozenset[str],
    span: int = 0,
) -> int:
    if buckets <= 1 or not bucketed(table):
        return backend.materialize(table, merged_sql(render(template, present, relations=relations), months))
    parts = [merged_sql(render(template, present, k, buckets, relations, span), months) for k in range(buckets)]
    by_parts = getattr(backend, "materialize_parts", None)
    if by_parts is not None:
        return int(by_parts(table, parts))
    return backend.materialize(table, " UNION ALL ".join(f"SELECT * FROM ({sql})" for sql in parts))


_COMMENT = re.compile(r"--[^\n]*")


def bucketed(table: str) -> bool:
    """Whether ``table``'s SQL is built in parts (holds a ``{bucket(col)}`` placeholder): a table without one is
    the same query in every part, so it is built once."""
    return bool(_BUCKET.search(feature_sql(table)))


def depends_on(table: str) -> set[str]:
    """The feature tables that ``table``'s SQL reads (found in its text, comments left out)."""
    sql = _COMMENT.sub("", feature_sql(table))
    return {t for t in FEATURE_TABLES if t != table and re.search(rf"\b{t}\b", sql)}


def tables_needed(wanted: Iterable[str] | None = None) -> list[str]:
    """Feature tables to build for ``wanted`` (names outside the feature layer are ignored), with every table
    they read, in build order; ``None`` means all of them."""
    if wanted is None:
        return list(FEATURE_TABLES)
    todo = [t for t in wanted if t in FEATURE_TABLES]
    needed: set[str] = set()
    while todo:
        table = todo.pop()
        if table not in needed:
            needed.add(table)
            todo.extend(depends_on(table))
    return [t for t in FEATURE_TABLES if t in needed]


def build_features(
    backend: AnalyticsBackend,
    show_progress: bool = False,
    tables: Iterable[str] | None = None,
    buckets: int | None = None,
    reuse: bool = False,
    kept: list[str] | None = None,
) -> dict[str, int]:
    """Materialise the feature tables (all, or only ``tables`` and what they read); returns each one's row count.

    Needs the contract table ``taxpayers``; reads ``entity_map`` when entity resolution has run. The big
    per-TIN tables are built in ``buckets`` parts (default: one per ``TINS_PER_BUCKET`` TINs). With ``reuse``, a
    table whose inputs are unchanged since it was written is kept as it is (``taxloop.features.reuse``; each kept
    table's name is appended to ``kept``); every table written is recorded for the next build.
    """
    wh: Warehouse | None = backend.warehouse if isinstance(backend, OnWarehouse) else None
    record = read_record(wh) if wh is not None else None
    if wh is not None:
        drop_obsolete(backend, wh, record)
    present = set(backend.table_names())
    if "taxpayers" not in present:
        raise FeatureBuildError("cannot build features: table 'taxpayers' is absent (纳税人登记表缺失)")
    order = tables_needed(tables)
    relations = prepare_keys(backend)
    months = months_covered(backend, relations)
    buckets, span = key_parts(backend, relations, buckets)
    key = inputs_key(wh, sources_read(), backend.name, relations, months, buckets) if wh is not None else ""
    if buckets is None and "features_tin" not in order:  # else decided by its row count (one per TIN), below
        buckets = tin_buckets(backend)
    rebuilt: set[str] = set()
    counts: dict[str, int] = {}
    with Progress(disable=not show_progress) as progress:
        task = progress.add_task("features 特征", total=len(order))
        for table in order:
            progress.update(task, description=f"features 特征: {table}")
            rows = None
            if reuse and record is not None and not depends_on(table) & rebuilt:
                rows = record.kept(table, key)
            if rows is not None:
                counts[table] = rows
                if kept is not None:
                    kept.append(table)
            else:
                counts[table] = _build_one(backend, table, present, (buckets, span), relations, months, record, key)
                rebuilt.add(table)
            present.add(table)
            if table == "features_tin" and buckets is None:
                buckets = -(-counts[table] // TINS_PER_BUCKET)
            progress.advance(task)
    return counts


def drop_obsolete(backend: AnalyticsBackend, wh: Warehouse, record: FeatureRecord | None) -> list[str]:
    """Delete the ``OBSOLETE_TABLES`` the warehouse still holds (folder, view, feature record entry) with the
    backend's ``drop_derived``; returns their names."""
    drop = getattr(backend, "drop_derived", None)
    gone = []
    for name in OBSOLETE_TABLES:
        if drop is None or not (wh.table_dir(name, "derived").exists() or backend.has_table(name)):
            continue
        drop(name)
        if record is not None and name in record.tables:
            record.forget(name)
        gone.append(name)
    return gone


def _build_one(
    backend: AnalyticsBackend,
    table: str,
    present: set[str],
    parts: tuple[int | None, int],
    relations: Mapping[str, str],
    months: frozenset[str],
    record: FeatureRecord | None,
    key: str,
) -> int:
    """Build ``table`` in ``parts`` (the number of buckets, None for one, and the largest TIN key) and, on a
    warehouse (``record``), record it (forgotten first: a failed build leaves no record of it)."""
    buckets, span = parts
    if record is not None:
        record.forget(table)
    try:
        rows = _materialize(backend, table, feature_sql(table), present, buckets or 1, relations, months, span)
    except Exception as exc:
        raise FeatureBuildError(f"building {table} failed: {exc}") from exc
    if record is not None:
        files = backend.written.get(table) if isinstance(backend, OnWarehouse) else None
        record.written(table, key, rows, files)
    return rows
