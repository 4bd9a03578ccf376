"""Fixtures of the scan tests: the crafted city in a fresh warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse

from .city import build_city


@pytest.fixture()
def city(tmp_path: Path) -> Warehouse:
    """The twelve-taxpayer city with its entity_map."""
    return build_city(tmp_path / "wh")


@pytest.fixture()
def duck(city: Warehouse) -> Iterator[DuckDBBackend]:
    """A DuckDB backend over the city."""
    backend = DuckDBBackend(city)
    yield backend
    backend.close()
