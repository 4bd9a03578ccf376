"""Find the tables of a data set folder and run the file-level checks (before anything is written).

A data set is a folder with one entry per table: ``<table>.csv``, ``<table>.csv.gz``, ``<table>.parquet`` or a
folder ``<table>/`` of CSV/Parquet parts. Hidden entries (``.x``, ``_x``) and the synthetic ``truth/`` folder are
ignored, as are files of other kinds (README, manifests); they are listed in the report.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from taxloop.contract.schema import Contract, TableSpec
from taxloop.load.errors import LoadError

Format = Literal["csv", "parquet"]
IGNORED_FOLDERS = frozenset({"truth"})
_HEAD_BYTES = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """One file of one table, with the column names its header (or Parquet schema) declares."""

    path: Path
    fmt: Format
    columns: tuple[str, ...]
    types: tuple[str, ...] = ()  # DuckDB types of Parquet columns (empty for CSV: everything is text)


@dataclass(frozen=True)
class TableSource:
    """Every file delivered for one contract table."""

    spec: TableSpec
    files: tuple[SourceFile, ...]

    @property
    def name(self) -> str:
        """The contract table name."""
        return self.spec.name

    @property
    def extras(self) -> list[str]:
        """Columns in the files that the contract does not know (kept as text), in order of appearance."""
        seen: dict[str, None] = {}
        for f in self.files:
            for c in f.columns:
                if c not in self.spec.columns and not c.startswith("_"):
                    seen.setdefault(c)
        return list(seen)


@dataclass
class Dataset:
    """What a data set folder holds."""

    root: Path
    tables: dict[str, TableSource] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def _fmt(path: Path) -> Format | None:
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".csv", ".parquet"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def csv_header(path: Path) -> tuple[str, ...]:
    """Column names of a CSV file's header row; raises ``LoadError`` for empty, non-UTF-8 or bad headers."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except (OSError, EOFError) as exc:
        raise LoadError(path, f"cannot read the file / 无法读取文件: {exc}") from None
    head = head.removeprefix(b"\xef\xbb\xbf")
    if not head.strip():
        raise LoadError(path, "the file is empty (no header row) / 文件为空（没有表头）")
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError(
            path, f"not UTF-8 encoded (byte {exc.start} of the header) / 文件不是 UTF-8 编码", line=0
        ) from None
    names = tuple(c.strip() for c in next(csv.reader([text])))
    if any(not n for n in names):
        raise LoadError(path, f"the header has an empty column name / 表头有空列名: {text!r}", line=0)
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise LoadError(path, f"the header repeats column(s) {dupes} / 表头列名重复", line=0)
    return names


def parquet_schema(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Column names and DuckDB types of a Parquet file; raises ``LoadError`` when it is not readable Parquet."""
    if path.stat().st_size == 0:
        raise LoadError(path, "the file is empty / 文件为空")
    quoted = str(path).replace("'", "''")
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{quoted}')").fetchall()
        con.execute(f"SELECT count(*) FROM parquet_metadata('{quoted}')").fetchall()
    except duckdb.Error as exc:
        raise LoadError(path, f"corrupt or unreadable Parquet / Parquet 文件损坏: {exc}") from None
    return tuple(str(r[0]) for r in rows), tuple(str(r[1]) for r in rows)


def _check_columns(spec: TableSpec, src: SourceFile) -> None:
    for cname, col in spec.columns.items():
        if cname not in src.columns and not col.optional:
            raise LoadError(
                src.path,
                f"missing required column {cname!r} of table {spec.name!r} (the file has: {', '.join(src.columns)})"
                f" / 缺少必需列",
                column=cname,
            )


def _source(con: duckdb.DuckDBPyConnection, spec: TableSpec, path: Path, fmt: Format) -> SourceFile:
    if fmt == "csv":
        src = SourceFile(path, fmt, csv_header(path))
    else:
        names, types = parquet_schema(con, path)
        src = SourceFile(path, fmt, names, types)
    _check_columns(spec, src)
    return src


def _parts(folder: Path) -> list[Path]:
    parts = [
        p
        for p in folder.rglob("*")
        if p.is_file() and _fmt(p) and not any(s.startswith((".", "_")) for s in p.relative_to(folder).parts)
    ]
    return sorted(parts)


def discover(root: Path, contract: Contract, con: duckdb.DuckDBPyConnection) -> Dataset:
    """Find every table of the data set at ``root`` and check each file's header/schema."""
    if not root.is_dir():
        raise LoadError(root, "the data set is not a folder / 数据集不是目录")
    dataset = Dataset(root=root)
    for entry in sorted(root.iterdir()):
        if entry.name.startswith((".", "_")) or (entry.is_dir() and entry.name in IGNORED_FOLDERS):
            dataset.ignored.append(entry.name)
            continue
        if entry.is_dir():
            files = [(p, _fmt(p)) for p in _parts(entry)]
            if not files:
                dataset.ignored.append(entry.name)
                continue
        else:
            fmt = _fmt(entry)
            if fmt is None:
                dataset.ignored.append(entry.name)
                continue
            files = [(entry, fmt)]
        name = _stem(entry)
        if name not in contract.tables:
            known = ", ".join(contract.tables)
            raise LoadError(entry, f"unknown table {name!r} / 未知的表; the contract knows: {known}")
        if name in dataset.tables:
            raise LoadError(entry, f"table {name!r} is delivered twice in {root} / 同一张表出现两次")
        spec = contract.tables[name]
        sources = tuple(_source(con, spec, p, f) for p, f in files if f is not None)
        dataset.tables[name] = TableSource(spec, sources)
    return dataset
