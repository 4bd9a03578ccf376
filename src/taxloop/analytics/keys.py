"""Integer TIN keys: a dictionary TIN -> ``tin_key`` and key columns beside the TIN columns of the big tables.

Hash joins and aggregates on 18-character TIN strings dominate the feature layer (benchmarks/bench_keys.py);
on integers they take about half as long. So the warehouse keeps one dictionary, ``derived/tin_keys``
(``tin VARCHAR, tin_key INTEGER``), and the tables in ``KEY_COLUMNS`` carry an INTEGER key column beside each
TIN column (``invoices.seller_key`` beside ``seller_tin``...). The dictionary is append-only: a TIN keeps its
key for the warehouse's life, new TINs get keys after the largest, in TIN order. A NULL TIN has a NULL key.

Who writes them: the loader, for every table it loads (``taxloop.load.stage``), and ``taxloop keys`` for
tables written into ``tables/`` by other means (``index_warehouse`` in ``taxloop.load.keys``). Both record what
they wrote or verified in the key manifest (``taxloop.analytics.keys_manifest``: each keyed table's files by
name, size and ``mtime_ns``, and the dictionary generation its keys belong to).
Who reads them: the feature SQL joins and groups on keys and decodes TINs through ``{tin_keys}`` at the end.
A scan checks the keys before it uses them: ``prepare_keys`` trusts a table's keys only when its files are the
ones the manifest recorded against the dictionary's ``GENERATION`` (the file system is asked, no row is read);
for any other table (no entry, any file rewritten since: a TIN edited by hand, a copy, a tool; a dictionary
not as recorded, e.g. put back from a backup; or a warehouse without dictionary) it stages a scan-time
dictionary and reads the table through a view that looks its keys up (``keyed_select``), so the feature SQL
is the same either way and so are the results; only the speed differs (a scan says so: ``keys_notice``).
All SQL here is plain enough for DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from taxloop.analytics.backend import AnalyticsBackend, OnWarehouse
from taxloop.analytics.keys_manifest import Manifest, read_manifest
from taxloop.analytics.warehouse import Warehouse
from taxloop.sqltext import ident

DICTIONARY = "tin_keys"
#: A random number drawn when a dictionary is created (kept when it grows), stored in every row of the dictionary
#: and of each table keyed against it: keys written against another dictionary (one deleted and made again,
#: tables copied from another warehouse) do not match and are not trusted: the key manifest records the generation
#: each table was keyed against, and ``taxloop keys`` checks it in the rows (``wrong_keys_sql``).
GENERATION = "tin_keys_gen"
#: The scan-time dictionary ``prepare_keys`` stages when the warehouse's own cannot serve every table.
SCAN_DICTIONARY = "tin_keys_scan"
#: Tables with key columns: TIN column -> key column.
KEY_COLUMNS: dict[str, dict[str, str]] = {
    "invoices": {"seller_tin": "seller_key", "buyer_tin": "buyer_key"},
    "vat_returns": {"tin": "tin_key"},
    "iit_withholding": {"tin": "tin_key"},
    "social_insurance": {"tin": "tin_key"},
    "utilities": {"tin": "tin_key"},
    "payments": {"tin": "tin_key"},
}
#: Tables whose TINs the dictionary holds (keyed tables and the register itself).
DICTIONARY_SOURCES: dict[str, tuple[str, ...]] = {
    "taxpayers": ("tin",),
    **{table: tuple(cols) for table, cols in KEY_COLUMNS.items()},
}


def new_tins_sql(sources: Sequence[tuple[str, str]]) -> str:
    """Distinct non-NULL TINs of ``sources`` ((relation, TIN column) pairs) as one column ``tin``."""
    if not sources:
        raise ValueError("new_tins_sql: no sources")
    each = " UNION ALL ".join(
        f"SELECT {ident(col)} AS tin FROM {rel} WHERE {ident(col)} IS NOT NULL" for rel, col in sources
    )
    return f"SELECT DISTINCT tin FROM ({each}) AS u"


def extend_sql(dictionary: str | None, sources: Sequence[tuple[str, str]], generation: int = 0) -> str:
    """The dictionary (a relation, or None for none yet: then a new one of ``generation``) with every TIN of
    ``sources`` it lacks appended: new keys after the largest, in TIN order (so the same inputs always give the
    same keys); a dictionary that grows keeps its generation, an empty one (no TIN yet: e.g. a first delivery
    quarantined entirely) takes ``generation``, so that the keys written against it can be trusted."""
    tins = new_tins_sql(sources)
    if dictionary is None:
        return (
            f"SELECT tin, CAST(row_number() OVER (ORDER BY tin) AS INTEGER) AS tin_key, "
            f"CAST({int(generation)} AS BIGINT) AS {GENERATION} FROM ({tins}) AS n"
        )
    return (
        f"SELECT tin, tin_key, {GENERATION} FROM {dictionary} UNION ALL "
        f"SELECT n.tin, CAST(m.top + row_number() OVER (ORDER BY n.tin) AS INTEGER) AS tin_key, m.gen "
        f"FROM ({tins}) AS n CROSS JOIN (SELECT coalesce(max(tin_key), 0) AS top, "
        f"coalesce(max({GENERATION}), {int(generation)}) AS gen "
        f"FROM {dictionary}) AS m LEFT JOIN {dictionary} AS d ON d.tin = n.tin WHERE d.tin IS NULL"
    )


def keyed_select(relation: str, table: str, dictionary: str, columns: Iterable[str]) -> str:
    """``relation`` (rows of ``table`` with ``columns``) with its key columns and the dictionary's generation
    looked up in ``dictionary`` (replacing any it has)."""
    keys = KEY_COLUMNS[table]
    kept = [f"r.{ident(c)}" for c in columns if c not in keys.values() and c != GENERATION]
    looked = [f"d{i}.tin_key AS {ident(key)}" for i, key in enumerate(keys.values())]
    looked.append(f"(SELECT max({GENERATION}) FROM {dictionary}) AS {GENERATION}")
    joins = "".join(f" LEFT JOIN {dictionary} AS d{i} ON d{i}.tin = r.{ident(col)}" for i, col in enumerate(keys))
    return f"SELECT {', '.join(kept + looked)} FROM {relation} AS r{joins}"


def wrong_keys_sql(relation: str, table: str, dictionary: str, generation: int) -> str:
    """1 when a row of ``relation`` (rows of keyed ``table``, with its key columns) has a key other than
    ``dictionary``'s for its TIN (a NULL TIN: a NULL key) or a generation other than ``generation``, else 0. One
    join per TIN column; it stops at the first wrong row. ``taxloop keys`` verifies keys it did not record so."""
    keys = KEY_COLUMNS[table]
    joins = "".join(f" LEFT JOIN {dictionary} AS d{i} ON d{i}.tin = r.{ident(col)}" for i, col in enumerate(keys))
    wrong = [f"r.{GENERATION} IS DISTINCT FROM {int(generation)}"]
    wrong += [f"r.{ident(key)} IS DISTINCT FROM d{i}.tin_key" for i, key in enumerate(keys.values())]
    return f"SELECT count(*) AS n FROM (SELECT 1 FROM {relation} AS r{joins} WHERE {' OR '.join(wrong)} LIMIT 1) AS w"


def _unregistered_sql() -> str:
    """A count of registered TINs the warehouse's dictionary lacks."""
    return (
        f"SELECT count(*) AS n FROM taxpayers AS t LEFT JOIN {DICTIONARY} AS d ON d.tin = t.tin "
        "WHERE t.tin IS NOT NULL AND d.tin IS NULL"
    )


def _columns(backend: AnalyticsBackend, table: str) -> list[str]:
    return list(backend.query(f"SELECT * FROM {table} LIMIT 0").column_names)


def _count(backend: AnalyticsBackend, sql: str) -> int:
    return int(backend.query(sql).column(0)[0].as_py() or 0)


def generation_sql(dictionary: str) -> str:
    """The smallest and largest generation in ``dictionary`` (a relation), as ``lo`` and ``hi``."""
    return f"SELECT min({GENERATION}) AS lo, max({GENERATION}) AS hi FROM {dictionary}"


def one_generation(lo: int | None, hi: int | None) -> int | None:
    """A dictionary's generation from ``generation_sql``'s answer; None when it has none (written before
    generations, or empty) or several: then its keys are not trusted."""
    return int(lo) if lo is not None and lo == hi else None


def has_key_columns(table: str, columns: Iterable[str]) -> bool:
    """Whether ``columns`` (of keyed ``table``) include its key columns and the generation."""
    return {*KEY_COLUMNS[table].values(), GENERATION} <= set(columns)


def _dictionary(backend: AnalyticsBackend, wh: Warehouse | None, manifest: Manifest) -> tuple[int | None, bool]:
    """The warehouse dictionary's generation (``one_generation``) and whether it is the one the manifest recorded
    (then the generation comes from the manifest, no query)."""
    recorded = manifest.dictionary_generation(wh, DICTIONARY) if wh is not None else None
    if recorded is not None:
        return recorded, True
    if GENERATION not in _columns(backend, DICTIONARY):
        return None, False
    row = backend.query(generation_sql(DICTIONARY)).to_pylist()[0]
    return one_generation(row["lo"], row["hi"]), False


def _untrusted(wh: Warehouse | None, manifest: Manifest, recorded: int | None, present: set[str]) -> list[str]:
    """The keyed tables of ``present`` not trusted: all when there is no warehouse folder or the dictionary is not
    as recorded (``recorded``: its generation when it is), else those whose files are not as recorded."""
    return [
        t
        for t in KEY_COLUMNS
        if t in present and (wh is None or recorded is None or not manifest.table_trusted(wh, t, recorded))
    ]


def _recorded(backend: AnalyticsBackend) -> tuple[Warehouse | None, Manifest]:
    """The backend's warehouse folder (None: it has none, ``OnWarehouse``) and that warehouse's key manifest."""
    wh = backend.warehouse if isinstance(backend, OnWarehouse) else None
    return wh, read_manifest(wh) if wh is not None else Manifest()


def untrusted_keys(backend: AnalyticsBackend) -> list[str]:
    """The keyed tables whose keys a scan on ``backend`` looks up (``prepare_keys``'s choice; file system only)."""
    wh, manifest = _recorded(backend)
    recorded = manifest.dictionary_generation(wh, DICTIONARY) if wh is not None else None
    return _untrusted(wh, manifest, recorded, set(backend.table_names()))


def keys_notice(backend: AnalyticsBackend) -> str | None:
    """A note for whoever runs a scan on ``backend`` (a warehouse's folder) whose keyed tables are not all trusted:
    which, why it matters, and the fix; None when all are (or there is no warehouse folder to fix)."""
    if not isinstance(backend, OnWarehouse):
        return None
    tables = untrusted_keys(backend)
    if not tables:
        return None
    root = backend.warehouse.root
    names = ", ".join(tables)
    return (
        f"TIN keys of {names} are not recorded in the key manifest (keyed by an older taxloop, copied without "
        f"modification times, edited, or the dictionary replaced): this scan looks them up (slower, same results). "
        f"Run `taxloop keys -w {root}` once / {names} 的纳税人识别号键未记录在键清单中 "
        f"(由旧版本写入、复制时未保留修改时间、被修改或字典被替换): 本次扫描重新查找 (较慢, 结果相同)。"
        f"请运行一次 `taxloop keys -w {root}`"
    )


def prepare_keys(backend: AnalyticsBackend) -> dict[str, str]:
    """What the feature SQL's ``{source}`` placeholders of keyed tables and ``{tin_keys}`` must read on this
    backend: {} when the warehouse's dictionary and every keyed table's key columns can be used as they are;
    otherwise a dictionary staged for this scan (``SCAN_DICTIONARY``: the warehouse's, extended with the TINs of
    the tables without trusted keys) and, for those tables, a ``keyed_select`` over it.

    A keyed table is trusted when the dictionary's files and its own are those the key manifest recorded, keyed
    against the dictionary's generation (file system only: no row is read); a backend with no warehouse folder
    (``OnWarehouse``) trusts none. The dictionary must also hold every registered TIN: known without a query when
    the manifest recorded both the dictionary and the ``taxpayers`` files as they are, else counted
    (``_unregistered_sql``)."""
    present = set(backend.table_names())
    wh, manifest = _recorded(backend)
    generation, recorded = _dictionary(backend, wh, manifest) if DICTIONARY in present else (None, False)
    untrusted = _untrusted(wh, manifest, generation if recorded else None, present)
    if generation is not None and not untrusted:
        registered = manifest.registered
        if wh is not None and recorded and registered is not None and registered.matches(wh, "taxpayers"):
            return {}
        if _count(backend, _unregistered_sql()) == 0:
            return {}
    sources = [(t, c) for t in ("taxpayers", *untrusted) if t in present for c in DICTIONARY_SOURCES[t]]
    backend.stage(SCAN_DICTIONARY, [extend_sql(DICTIONARY if generation is not None else None, sources)])
    relations = {DICTIONARY: SCAN_DICTIONARY}
    for table in untrusted:
        relations[table] = f"({keyed_select(table, table, SCAN_DICTIONARY, _columns(backend, table))})"
    return relations


def render_source(source: str, present: set[str] | frozenset[str], relations: Mapping[str, str]) -> str | None:
    """The relation a placeholder ``{source}`` stands for, or None when it must be an empty relation."""
    if source in relations:
        return relations[source]
    return source if source in present else None
