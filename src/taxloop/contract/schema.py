"""Typed view of ``contract_v1.yaml``: tables, columns, types, keys.

Third-party tables also carry ``provider`` and ``delivered_on`` (added here, not in the YAML).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field

from taxloop import yamlfile

ColumnType = Literal["str", "enum", "date", "timestamp", "period", "decimal", "int"]
TableGroup = Literal["core", "third_party", "staff"]

#: DuckDB storage type of each contract type (money is DECIMAL(18,2), never float).
DUCKDB_TYPES: dict[str, str] = {
    "str": "VARCHAR",
    "enum": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "period": "VARCHAR",
    "decimal": "DECIMAL(18,2)",
    "int": "BIGINT",
}


class ColumnSpec(BaseModel):
    """One contract column."""

    name: str = ""
    type: ColumnType
    optional: bool = False
    values: list[str] = Field(default_factory=list)
    min: float | None = None
    max: float | None = None

    @property
    def duckdb_type(self) -> str:
        """The DuckDB type the warehouse stores this column as."""
        return DUCKDB_TYPES[self.type]


class TableSpec(BaseModel):
    """One contract table."""

    name: str = ""
    group: TableGroup
    key: list[str] = Field(default_factory=list)
    columns: dict[str, ColumnSpec]

    @property
    def required_columns(self) -> list[str]:
        """Columns that must be present in the file header."""
        return list(self.columns)


class Contract(BaseModel):
    """The whole contract."""

    version: int
    tables: dict[str, TableSpec]

    def table(self, name: str) -> TableSpec:
        """The spec of ``name``; raises ``KeyError`` with the known names."""
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"unknown table {name!r}; the contract knows: {', '.join(self.tables)}") from None


@cache
def load_contract() -> Contract:
    """Read the packaged contract (cached; pure data, no I/O beyond the package file)."""
    text = resources.files("taxloop.contract").joinpath("contract_v1.yaml").read_text(encoding="utf-8")
    contract = Contract.model_validate(yamlfile.safe_load(text))
    for tname, table in contract.tables.items():
        table.name = tname
        if table.group == "third_party":
            table.columns["provider"] = ColumnSpec(type="str")
            table.columns["delivered_on"] = ColumnSpec(type="date")
        for cname, col in table.columns.items():
            col.name = cname
    return contract
