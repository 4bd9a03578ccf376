"""Feature tables kept from the last build when nothing they are made from has changed.

A scan rebuilds the feature layer from the contract tables, about 80 % of a full scan's time at 1M taxpayers. When
no table it reads has changed since the last build (an analyst re-running the library after editing an indicator,
a scheduled scan with no new delivery), that work gives the same tables again. So ``build_features(reuse=True)``
(what ``taxloop scan`` does unless told ``--rebuild-features``) records, in ``derived/features_manifest.json``,
each feature table it wrote: its files (name, size, ``mtime_ns``, as ``taxloop.analytics.keys_manifest``) and the
**inputs key**, a hash of everything the table is made from:

- the files of every table the feature SQL reads (``sources_read``), of the entity map, the key dictionary and the
  month table, as the backend reads them (``Warehouse.find``); an absent table counts as absent;
- the relations that stand for keyed tables and the monthly sources read from the month table (so whether keys
  and the month table were trusted), and the bucket count asked for;
- the backend, the versions of taxloop, DuckDB and sqlglot, and the bytes of the package files that make
  features (``plan_cache.code_fingerprint``: the feature SQL, the builder, the pruner, the rule compiler, the
  contract, the keys; and the backends, the Spark transpiler and the month table's layout).

A later build keeps a table (reads nothing, writes nothing) only when its record has the same inputs key, its files
are exactly those recorded, and no feature table it reads was rebuilt in this build. Anything else rebuilds it.
A table's files are recorded as its writer fingerprinted them before the rename that put them in place, so if
another scan swaps its own copy in meanwhile, the record does not match it and the next build rebuilds. What is not
caught is what the key manifest does not catch either: a source file rewritten with the same size and its
``mtime_ns`` put back. ``--rebuild-features`` rebuilds whatever the record says. The record is replaced whole
(temporary file, then ``os.replace``); an unreadable one is empty, so everything is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

import taxloop
from taxloop.analytics.keys import DICTIONARY
from taxloop.analytics.keys_manifest import Files, files_of, fingerprint, replace_json
from taxloop.analytics.tin_months import MONTHS
from taxloop.analytics.warehouse import Warehouse
from taxloop.features.plan_cache import code_fingerprint

RECORD = "features_manifest.json"
VERSION = 1


def record_path(wh: Warehouse) -> Path:
    """Where the feature record of ``wh`` lives."""
    return wh.area("derived") / RECORD


def _files(wh: Warehouse, name: str) -> Files | None:
    folder = wh.find(name)
    return None if folder is None else fingerprint(folder)


def inputs_key(
    wh: Warehouse,
    sources: Iterable[str],
    backend: str,
    relations: Mapping[str, str],
    months: frozenset[str],
    buckets: int | None,
) -> str:
    """The hash of everything a feature build is made from (module doc); ``sources`` are the tables its SQL reads."""
    names = sorted({*sources, "entity_map", DICTIONARY, MONTHS})
    inputs = {
        "version": VERSION,
        "code": [code_fingerprint(), _writers_fingerprint()],
        "versions": [taxloop.__version__, duckdb.__version__, version("sqlglot")],
        "backend": backend,
        "files": {name: _files(wh, name) for name in names},
        "relations": sorted(relations.items()),
        "months": sorted(months),
        "buckets": buckets,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


#: Package files outside ``plan_cache``'s fingerprint that decide what a build writes: how each backend runs and
#: writes a query (types, the Spark transpiler) and the month table's layout.
_WRITERS = ("analytics/duckdb_backend.py", "analytics/spark_backend.py", "analytics/spark_sql.py",
            "analytics/tin_months.py")  # fmt: skip


@lru_cache(maxsize=1)
def _writers_fingerprint() -> str:
    root = resources.files("taxloop")
    digest = hashlib.sha256()
    for name in _WRITERS:
        digest.update(name.encode())
        digest.update(root.joinpath(name).read_bytes())
    return digest.hexdigest()


@dataclass
class FeatureRecord:
    """The feature record of warehouse ``wh``: per feature table, the inputs key it was built with, its files and
    its row count."""

    wh: Warehouse
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def kept(self, table: str, key: str) -> int | None:
        """The row count of ``table`` when it may be kept as it is (same inputs key, files as recorded), else None."""
        entry = self.tables.get(table)
        if entry is None or entry.get("key") != key:
            return None
        folder = self.wh.find(table)
        if folder is None or folder != self.wh.table_dir(table, "derived") or fingerprint(folder) != entry.get("files"):
            return None
        rows = entry.get("rows")
        return rows if isinstance(rows, int) and not isinstance(rows, bool) else None

    def written(self, table: str, key: str, rows: int, files: Files | None = None) -> None:
        """Record ``table`` as just written from the inputs of ``key`` and save: ``files`` as the writer fingerprinted
        them before putting them in place (``DuckDBBackend.written``; another scan's copy swapped in since does not
        match them), else as they lie now."""
        if files is None:
            files = fingerprint(self.wh.table_dir(table, "derived"))
        self.tables[table] = {"key": key, "files": files, "rows": int(rows)}
        self.save()

    def forget(self, table: str) -> None:
        """Drop the record of ``table`` and save (it is being rebuilt: until it is written, nothing of it may be
        kept)."""
        self.tables.pop(table, None)
        self.save()

    def save(self) -> None:
        """Replace the record file atomically (``keys_manifest.replace_json``)."""
        replace_json(record_path(self.wh), {"version": VERSION, "tables": self.tables})


def read_record(wh: Warehouse) -> FeatureRecord:
    """The feature record of ``wh``; empty when there is none or it cannot be read (then nothing is kept)."""
    try:
        data = json.loads(record_path(wh).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("tables"), dict):
            return FeatureRecord(wh)
        tables = {str(n): e for n, e in data["tables"].items() if isinstance(e, dict)}
        for entry in tables.values():
            entry["files"] = files_of(entry.get("files") or {})
        return FeatureRecord(wh, tables)
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return FeatureRecord(wh)
