"""The analytics backend interface.

SQL handed to a backend is written in DuckDB's dialect; other backends transpile it with sqlglot.
Table names in SQL are the warehouse table names (``invoices``, ``derived`` results, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import pyarrow as pa

from taxloop.analytics.keys_manifest import Files
from taxloop.analytics.warehouse import Warehouse


@runtime_checkable
class AnalyticsBackend(Protocol):
    """What every analytics backend offers."""

    name: str

    def has_table(self, name: str) -> bool:
        """Whether ``name`` is present (contract table or derived result)."""
        ...

    def table_names(self) -> list[str]:
        """Every table the backend can query."""
        ...

    def query(self, sql: str) -> pa.Table:
        """Run a DuckDB-dialect query and return the result as Arrow."""
        ...

    def materialize(self, name: str, sql: str) -> int:
        """Run a query and store its result as derived table ``name`` (replacing it); returns rows."""
        ...

    def stage(self, name: str, sqls: Sequence[str]) -> int:
        """Run queries (same columns; their rows together) into table ``name`` held by this backend only (in
        memory, never written to the warehouse), shadowing the warehouse table of that name until ``refresh`` or
        a ``materialize`` of it; returns rows. For one scan's pruned feature tables."""
        ...

    def write_arrow(self, name: str, data: pa.Table) -> int:
        """Store an Arrow table as derived table ``name`` (replacing it); returns rows."""
        ...

    def close(self) -> None:
        """Release resources."""
        ...


@runtime_checkable
class OnWarehouse(Protocol):
    """A backend over a warehouse's files (DuckDB and Spark): what reads the warehouse's own records beside the
    tables (the TIN key manifest, ``taxloop.analytics.keys_manifest``) needs its folder, and what records a
    derived table's files (the feature record, ``taxloop.features.reuse``) needs them as the backend wrote them:
    ``written[name]``, fingerprinted before the rename that put them in place."""

    warehouse: Warehouse
    written: dict[str, Files]
