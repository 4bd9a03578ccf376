"""Arrow column builders (exact 2-decimal money, dates, periods) and chunked table writers (CSV or Parquet)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from taxloop.contract.schema import load_contract

MONEY = pa.decimal128(18, 2)


def money(values: np.ndarray) -> pa.Array:
    """Yuan amounts as exact DECIMAL(18,2) (rounded half-even to cents); NaN becomes null."""
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
    return pa.Array.from_buffers(MONEY, len(cents), [validity, pa.py_buffer(buf.tobytes())], null_count)


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

    def __init__(self, out_dir: Path, table: str, fmt: str, partitioned: bool = False) -> None:
        self.out_dir = out_dir
        self.table = table
        self.fmt = fmt
        self.partitioned = partitioned and fmt == "parquet"
        self.rows = 0
        self._parts = 0
        self._writer: pacsv.CSVWriter | pq.ParquetWriter | None = None
        spec = load_contract().tables.get(table)
        self.columns = list(spec.columns) if spec else None

    def write(self, data: pa.Table) -> None:
        """Append a chunk (columns in contract order; CSV timestamps as ISO ``YYYY-MM-DDTHH:MM:SS``)."""
        if self.columns is not None:
            data = data.select(self.columns)
        if self.fmt == "csv":
            for i, f in enumerate(data.schema):
                if pa.types.is_timestamp(f.type):
                    data = data.set_column(i, f.name, pc.strftime(data.column(i), format="%Y-%m-%dT%H:%M:%S"))
        self.rows += data.num_rows
        if self.partitioned:
            folder = self.out_dir / self.table
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(data, folder / f"part-{self._parts:05d}.parquet", compression="zstd")
            self._parts += 1
            return
        if self._writer is None:
            if self.fmt == "csv":
                self._writer = pacsv.CSVWriter(self.out_dir / f"{self.table}.csv", data.schema)
            else:
                self._writer = pq.ParquetWriter(self.out_dir / f"{self.table}.parquet", data.schema,
                                                compression="zstd")
        self._writer.write_table(data)

    def close(self) -> None:
        """Finish the file (an empty table still gets its header)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> TableSink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def write_table(out_dir: Path, name: str, data: pa.Table, fmt: str) -> int:
    """Write a whole table at once; returns its row count."""
    with TableSink(out_dir, name, fmt) as sink:
        sink.write(data)
    return data.num_rows
