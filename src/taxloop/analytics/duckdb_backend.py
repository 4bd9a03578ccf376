"""DuckDB over the warehouse's Parquet folders (the embedded default)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from taxloop.analytics.keys_manifest import Files, fingerprint
from taxloop.analytics.warehouse import Warehouse
from taxloop.sqltext import ident

#: Derived tables (features, hits, scores) are rewritten by every scan and read by every rule: Snappy writes a
#: 5.4 M-row features_period part in 2.5-2.7 s against 3.4-3.6 s for zstd, and reads back faster (0.27 against
#: 0.33 s), for files about 1.6x larger (benchmarks/README.md "Scan", session 5). Contract tables stay zstd.
DERIVED_PARQUET = "(FORMAT parquet, COMPRESSION snappy)"


def _glob(folder: Path) -> str:
    return str(folder / "*.parquet").replace("'", "''")


class DuckDBBackend:
    """Analytics on DuckDB; every warehouse table is a view over its Parquet parts."""

    name = "duckdb"

    def __init__(self, warehouse: Warehouse, memory_limit: str = "", threads: int = 0) -> None:
        self.warehouse = warehouse
        self.con = duckdb.connect(":memory:")
        self._names: frozenset[str] | None = None  # a snapshot only on cursors (see ``cursor``)
        self._staged: set[str] = set()  # tables staged in memory (see ``stage``), shared with cursors
        #: name -> the files this backend last wrote for that derived table, fingerprinted before the rename that
        #: put them in place (``taxloop.features.reuse`` records these, not whatever lies there after the rename)
        self.written: dict[str, Files] = {}
        if memory_limit:
            self.con.execute(f"SET memory_limit='{memory_limit}'")
        if threads:
            self.con.execute(f"SET threads={int(threads)}")
        self.con.execute("SET preserve_insertion_order=false")
        self.refresh()

    def refresh(self) -> None:
        """(Re)create one view per table on disk; derived results shadow contract tables.

        Quarantined rows of table ``t`` are queryable as ``quarantine_t``. Staged tables are freed (a staged name
        with no table on disk, such as a scan-time key dictionary, is gone).
        """
        on_disk = {*self.warehouse.names("tables"), *self.warehouse.names("derived")}
        for name in [n for n in self._staged if n not in on_disk]:
            self._unregister(name)
        for area in ("tables", "derived"):
            for name in self.warehouse.names(area):
                self._register(name, self.warehouse.table_dir(name, area))
        for name in self.warehouse.names("quarantine"):
            self._register(f"quarantine_{name}", self.warehouse.table_dir(name, "quarantine"))

    def _register(self, name: str, folder: Path) -> None:
        if self._names is not None:
            self._names = self._names | {name}
        if name in self._staged:  # the view goes back to Parquet: free the staged copy
            self.con.execute(f'DROP TABLE IF EXISTS staged."{name}"')
            self._staged.discard(name)
        self.con.execute(
            f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT * FROM read_parquet('{_glob(folder)}', union_by_name=true)"
        )

    def drop_derived(self, name: str) -> None:
        """Delete the derived table ``name`` (its folder, any staged copy) and its view; a contract table of that
        name is queryable again."""
        folder = self.warehouse.table_dir(name, "derived")
        if folder.exists():
            shutil.rmtree(folder)
        if name in self.warehouse.names("tables"):
            self._register(name, self.warehouse.table_dir(name, "tables"))  # frees any staged copy
        else:
            self._unregister(name)

    def _unregister(self, name: str) -> None:
        """Drop the view ``name`` and any staged copy behind it."""
        self.con.execute(f'DROP VIEW IF EXISTS "{name}"')
        self.con.execute(f'DROP TABLE IF EXISTS staged."{name}"')
        self._staged.discard(name)
        if self._names is not None:
            self._names = self._names - {name}

    def has_table(self, name: str) -> bool:
        """Whether ``name`` can be queried."""
        return name in self.table_names()

    def table_names(self) -> list[str]:
        """Every view and table in the connection."""
        if self._names is not None:
            return sorted(self._names)
        rows = self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        return sorted(r[0] for r in rows)

    def query(self, sql: str) -> pa.Table:
        """Run a query; Arrow result."""
        return self.con.sql(sql).to_arrow_table()

    def _swap_in(self, name: str, tmp: Path) -> None:
        self.written[name] = fingerprint(tmp)
        final = self.warehouse.table_dir(name, "derived")
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
        self._register(name, final)

    def materialize(self, name: str, sql: str) -> int:
        """COPY a query to ``derived/<name>/`` atomically (temp folder, then rename)."""
        return self.materialize_parts(name, [sql])

    def materialize_parts(self, name: str, sqls: Sequence[str]) -> int:
        """COPY several queries (same columns) to ``derived/<name>/``, one Parquet part each, run one after the
        other so that only one part's working set is in memory; atomic (temp folder, then rename)."""
        self.warehouse.ensure()
        tmp = self.warehouse.area("derived") / f".{name}.{uuid.uuid4().hex}"
        tmp.mkdir(parents=True)
        for i, sql in enumerate(sqls):
            target = str(tmp / f"part-{i}.parquet").replace("'", "''")
            self.con.execute(f"COPY ({sql}) TO '{target}' {DERIVED_PARQUET}")
        self._swap_in(name, tmp)
        return int(self.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0])

    def stage(self, name: str, sqls: Sequence[str]) -> int:
        """Queries' rows into in-memory table ``staged.<name>``; the view ``name`` points at it (every cursor of
        this database sees it) until ``refresh`` or ``materialize`` re-points the view at Parquet (and drops it)."""
        self.con.execute("CREATE SCHEMA IF NOT EXISTS staged")
        table = f'staged."{name}"'
        # the same column types as the Parquet a materialize writes (which stores HUGEINT sums as DOUBLE)
        wide = [r[0] for r in self.con.execute(f"DESCRIBE ({sqls[0]})").fetchall() if "HUGEINT" in str(r[1])]
        cast = f" REPLACE ({', '.join(f'CAST({ident(c)} AS DOUBLE) AS {ident(c)}' for c in wide)})" if wide else ""
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT *{cast} FROM ({sqls[0]})")
        for sql in sqls[1:]:
            self.con.execute(f"INSERT INTO {table} SELECT *{cast} FROM ({sql})")
        self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM {table}')
        self._staged.add(name)
        if self._names is not None:
            self._names = self._names | {name}
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    def write_arrow(self, name: str, data: pa.Table) -> int:
        """Store an Arrow table as a derived table."""
        view = f"_arrow_{uuid.uuid4().hex}"
        self.con.register(view, data)
        try:
            return self.materialize(name, f'SELECT * FROM "{view}"')
        finally:
            self.con.unregister(view)

    def cursor(self, names: frozenset[str] | None = None) -> DuckDBBackend:
        """A backend on a new cursor of the same database: shares the views, safe to use from another thread.

        ``names``, when given, is a snapshot of the table names answered by ``has_table`` / ``table_names``
        without a catalog query (a few ms each in DuckDB); tables this cursor registers are added to it.
        """
        clone = object.__new__(DuckDBBackend)
        clone.warehouse = self.warehouse
        clone.con = self.con.cursor()
        clone._names = names
        clone._staged = self._staged
        clone.written = self.written
        return clone

    def close(self) -> None:
        """Close the connection."""
        self.con.close()
