"""Arrow column builders (exact 2-decimal money, dates, periods) and chunked table writers (CSV or Parquet)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from taxloop.contract.schema import load_contract

MONEY = pa.decimal128(18, 2)
LOW_CARDINALITY = {"period", "tax_type", "provider", "field", "kind", "status", "direction", "region_code",
                   "industry_code", "system", "matter_code", "action", "selection", "finding", "scheme", "role",
                   "goods_code", "hs_code", "vat_status", "tax_rate", "delivered_on", "unit_code"}
STATISTICS = {"tin", "period", "seller_tin", "issued_on", "filed_on", "ts", "officer_id", "year", "contract_on"}


def money(values: np.ndarray, precision: int = 18) -> pa.Array:
    """Yuan amounts as exact DECIMAL(precision, 2) (rounded half-even to cents); NaN becomes null."""
    values = np.asarray(values, dtype=np.float64)
    nulls = np.isnan(values)
    cents = np.round(np.where(nulls, 0.0, values) * 100.0).astype(np.int64)
    buf = np.empty((len(cents), 2), dtype=np.int64)
    buf[:, 0] = cents
    buf[:, 1] = cents >> 63
    validity = None
    null_count = int(nulls.sum())
    if null_count:
        validity = pa.array(~nulls).buffers()[1]
    kind = MONEY if precision == 18 else pa.decimal128(precision, 2)
    return pa.Array.from_buffers(kind, len(cents), [validity, pa.py_buffer(buf)], null_count)


def ascii_ids(prefix: str, values: np.ndarray, width: int) -> pa.Array:
    """Identifiers ``prefix`` + zero-padded ``values`` (fixed width), built as raw bytes (fast for millions)."""
    values = np.asarray(values, dtype=np.int64)
    k = len(values)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    size = len(head) + width
    buf = np.empty((k, size), dtype=np.uint8)
    buf[:, : len(head)] = head
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    buf[:, len(head):] = (values[:, None] // powers[None, :]) % 10 + 48
    offsets = np.arange(k + 1, dtype=np.int32) * size
    return pa.Array.from_buffers(pa.string(), k, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def cents_of(values: np.ndarray) -> np.ndarray:
    """Round to cents (float64), as stored."""
    return np.round(np.asarray(values, dtype=np.float64) * 100.0) / 100.0


def date_array(days: np.ndarray) -> pa.Array:
    """Dates from day numbers since 1970; negative numbers become null."""
    days = np.asarray(days, dtype=np.int64)
    return pa.array(days.astype(np.int32), pa.date32(), mask=days < 0)


def timestamp_array(seconds: np.ndarray) -> pa.Array:
    """Local timestamps (no zone) from seconds since 1970."""
    return pa.array(np.asarray(seconds, dtype=np.int64), pa.timestamp("s"))


def const(value: str, n: int) -> pa.Array:
    """A string column repeating ``value``."""
    return pa.repeat(pa.scalar(value, pa.string()), n)


class TableSink:
    """Writes one contract table in chunks: ``<table>.csv``, ``<table>.parquet`` or ``<table>/part-*.parquet``."""

    def __init__(self, out_dir: Path, table: str, fmt: str, partitioned: bool = False,
                 pool: ThreadPoolExecutor | None = None) -> None:
        self.out_dir = out_dir
        self.table = table
        self.fmt = fmt
        self.partitioned = partitioned and fmt == "parquet"
        self.rows = 0
        self._parts = 0
        self._writer: pacsv.CSVWriter | pq.ParquetWriter | None = None
        self._pool = pool
        self._pending: Future[None] | None = None
        spec = load_contract().tables.get(table)
        self.columns = list(spec.columns) if spec else None

    def write(self, data: pa.Table) -> None:
        """Append a chunk (columns in contract order; CSV timestamps as ISO ``YYYY-MM-DDTHH:MM:SS``)."""
        if self.columns is not None:
            data = data.select(self.columns)
        self.rows += data.num_rows
        if self._pool is None:
            self._write(data)
            return
        if self._pending is not None:
            self._pending.result()  # at most one chunk in flight per table: bounded memory
        self._pending = self._pool.submit(self._write, data)

    def _write(self, data: pa.Table) -> None:
        if self.fmt == "csv":
            for i, f in enumerate(data.schema):
                if pa.types.is_timestamp(f.type):
                    data = data.set_column(i, f.name, pc.strftime(data.column(i), format="%Y-%m-%dT%H:%M:%S"))
        if self.partitioned:
            folder = self.out_dir / self.table
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(data, folder / f"part-{self._parts:05d}.parquet", **_parquet_options(data.schema))
            self._parts += 1
            return
        if self._writer is None:
            if self.fmt == "csv":
                self._writer = pacsv.CSVWriter(self.out_dir / f"{self.table}.csv", data.schema)
            else:
                self._writer = pq.ParquetWriter(self.out_dir / f"{self.table}.parquet", data.schema,
                                                **_parquet_options(data.schema))
        self._writer.write_table(data)

    def close(self) -> None:
        """Wait for the chunk in flight and finish the file."""
        if self._pending is not None:
            self._pending.result()
            self._pending = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> TableSink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """Fast, compact Parquet: money as INT64 decimals, dictionaries and statistics only where they pay."""
    low_card = [f.name for f in schema if f.name in LOW_CARDINALITY or pa.types.is_dictionary(f.type)]
    stats = [f.name for f in schema if f.name in STATISTICS]
    return {"compression": "zstd", "compression_level": 1, "use_dictionary": low_card,
            "write_statistics": stats, "store_decimal_as_integer": True}


def write_table(out_dir: Path, name: str, data: pa.Table, fmt: str) -> int:
    """Write a whole table at once; returns its row count."""
    with TableSink(out_dir, name, fmt) as sink:
        sink.write(data)
    return int(data.num_rows)
