"""``load_dataset``: the service the CLI (and later the API) calls to load a data set into a warehouse.

All-or-nothing: every file is checked, every table validated and staged under ``<warehouse>/.staging/<load_id>/``;
only when the whole data set succeeded are the table and quarantine folders swapped in (each by a rename,
rolled back if a rename fails). Any ``LoadError`` leaves the warehouse as it was. The TIN key manifest is taken
before the swap and written right after it; it only spares a scan its key lookups, so a failure to take or write
it never fails a load that is swapped in: the report's ``warnings`` says so.
"""

from __future__ import annotations

import fcntl
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb
from rich.progress import Progress

from taxloop.analytics.keys import DICTIONARY, KEY_COLUMNS
from taxloop.analytics.keys_manifest import Manifest, manifest_path, write_manifest
from taxloop.analytics.warehouse import Warehouse
from taxloop.contract.schema import Contract, load_contract
from taxloop.load.discover import Dataset, TableSource, discover
from taxloop.load.errors import LoadError
from taxloop.load.keys import (
    dictionary_generation,
    dictionary_recorded,
    keyed_sql,
    registered_covered,
    stage_dictionary,
    staged_manifest,
)
from taxloop.load.ledger import append_ledger, file_digest, previous_load
from taxloop.load.months import refresh_or_warn
from taxloop.load.report import LoadReport, TableReport
from taxloop.load.stage import (
    StagedTable,
    check_table,
    connect,
    drop_checked,
    held_rows,
    hold_table,
    stage_table,
    write_held,
)


@contextmanager
def load_lock(wh: Warehouse) -> Iterator[None]:
    """One load at a time per warehouse (an OS lock, released even if the process dies)."""
    with (wh.root / ".load.lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise LoadError(wh.root, "another load is running on this warehouse / 另一个加载正在进行") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _swap(wh: Warehouse, staging: Path, names: list[str], dictionary: bool = False) -> None:
    """Move staged table and quarantine folders (and the TIN-key dictionary, when staged) into the warehouse;
    undo every move if one fails."""
    moved: list[tuple[Path, Path | None]] = []
    # the dictionary first: it only grows, so it is right for the old tables too if the swap stops half-way
    folders = [("derived", DICTIONARY)] if dictionary else []
    folders += [(area, name) for name in names for area in ("tables", "quarantine")]
    try:
        for area, name in folders:
            final, staged = wh.table_dir(name, area), staging / area / name
            backup = None
            if final.exists():
                backup = staging / "old" / area / name
                backup.parent.mkdir(parents=True, exist_ok=True)
                final.rename(backup)
            moved.append((final, backup))
            final.parent.mkdir(parents=True, exist_ok=True)
            staged.rename(final)
    except OSError:
        for final, backup in reversed(moved):
            if final.exists():
                shutil.rmtree(final)
            if backup is not None:
                backup.rename(final)
        raise


def _table_report(table: TableSource) -> TableReport:
    missing = sorted({c for f in table.files for c in table.spec.columns if c not in f.columns})
    return TableReport(
        table=table.name,
        status="loaded",
        files=[str(f.path) for f in table.files],
        extra_columns=table.extras,
        missing_optional_columns=missing,
    )


def _check_required(dataset: Dataset, wh: Warehouse) -> None:
    if "taxpayers" not in dataset.tables and "taxpayers" not in wh.names("tables"):
        raise LoadError(
            dataset.root / "taxpayers.csv",
            "the data set has no taxpayers table and the warehouse has none yet / 缺少必需的 taxpayers 表",
        )


def _load_table(
    con: duckdb.DuckDBPyConnection, table: TableSource, wh: Warehouse, staging: Path, load_id: str, offset: int
) -> tuple[TableReport, StagedTable, str | None]:
    """Check and stage one table. A keyed table is held: its checked rows (the temporary table returned) stay for
    ``_write_held``; every other table is written now."""
    out = _table_report(table)
    try:
        chk, rows_read = check_table(con, table, load_id, offset)
    except duckdb.Error as exc:
        files = ", ".join(out.files)
        raise LoadError(files, f"cannot read table {table.name!r} / 无法读取: {exc}") from None
    quarantine = wh.table_dir(table.name, "quarantine")
    if table.name in KEY_COLUMNS:
        staged, held = hold_table(con, table, chk, staging, quarantine), chk
    else:
        staged, held = stage_table(con, table, chk, staging, wh.table_dir(table.name, "tables"), quarantine), None
        drop_checked(con, chk)
    if staged.rows_checked != rows_read:
        raise RuntimeError(f"{table.name}: read {rows_read} rows but checked {staged.rows_checked} (loader bug)")
    out.rows_read = rows_read
    out.rows_loaded, out.rows_quarantined, out.by_rule = staged.rows_loaded, staged.rows_quarantined, staged.by_rule
    out.quarantine_in_warehouse = staged.quarantine_after
    return out, staged, held


def _write_held(
    con: duckdb.DuckDBPyConnection,
    wh: Warehouse,
    staging: Path,
    dataset: Dataset,
    held: dict[str, tuple[TableReport, StagedTable, str]],
) -> bool:
    """Extend the dictionary with the whole delivery's TINs, then write each held (keyed) table once, with its
    keys. Returns whether a dictionary was staged (then it must be swapped in with the tables)."""
    merged = {n: held_rows(dataset.tables[n], chk, wh.table_dir(n)) for n, (_, _, chk) in held.items()}
    dictionary = stage_dictionary(con, wh, staging, list(dataset.tables), merged)
    for name, (report, staged, chk) in held.items():
        if dictionary is None:  # cannot happen: a keyed table is a TIN source
            raise RuntimeError(f"{name}: no dictionary for a keyed table (loader bug)")
        final = partial(keyed_sql, con, name, dictionary=dictionary)
        write_held(con, dataset.tables[name], chk, staging, wh.table_dir(name), staged, final)
        report.rows_replaced, report.rows_in_warehouse = staged.rows_replaced, staged.rows_after
    return dictionary is not None


def _unrecorded(wh: Warehouse, exc: OSError) -> str:
    return (
        f"TIN key manifest not written ({exc}): the load is complete, but scans look keys up (slower, same "
        f"results) until `taxloop keys -w {wh.root}` is run once / 键清单未写入 ({exc}): 加载已完成, 但扫描时"
        f"将重新查找纳税人识别号键 (较慢, 结果相同), 请运行一次 `taxloop keys -w {wh.root}`"
    )


def _manifest(
    wh: Warehouse,
    staging: Path,
    generation: int | None,
    keyed: list[str],
    registered: bool,
    keep: bool,
    report: LoadReport,
) -> Manifest | None:
    """The key manifest of the staged load (``staged_manifest``), taken before the swap; None (and a warning in
    ``report``) when it cannot be: the manifest only spares a scan its key look-ups, so it never fails a load."""
    try:
        return staged_manifest(wh, staging, generation, keyed, registered, keep)
    except OSError as exc:
        report.warnings.append(_unrecorded(wh, exc))
        return None


def _record(wh: Warehouse, manifest: Manifest | None, report: LoadReport) -> None:
    """Write ``manifest`` right after the swap; when it could not be taken (None) or cannot be written, the old
    manifest is removed if it can be (it records the dictionary the swap replaced: it vouches for nothing) and,
    for a write, a warning goes into ``report``."""
    try:
        if manifest is not None:
            write_manifest(wh, manifest)
            return
    except OSError as exc:
        report.warnings.append(_unrecorded(wh, exc))
    with suppress(OSError):
        manifest_path(wh).unlink(missing_ok=True)


def load_dataset(
    dataset_dir: Path,
    warehouse: Warehouse | Path,
    *,
    contract: Contract | None = None,
    memory_limit: str = "",
    threads: int = 0,
    progress: bool = False,
) -> LoadReport:
    """Validate and load the data set at ``dataset_dir`` into ``warehouse``; returns (and saves) the report.

    Raises ``LoadError`` (naming the file) for a file-level problem; the warehouse is then left unchanged.
    """
    wh = (warehouse if isinstance(warehouse, Warehouse) else Warehouse(Path(warehouse))).ensure()
    contract = contract or load_contract()
    root = Path(dataset_dir).resolve()
    load_id = datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    report = LoadReport(
        load_id=load_id, dataset=str(root), warehouse=str(wh.root), started_at=datetime.now().isoformat()
    )
    t0 = time.perf_counter()
    staging = wh.root / ".staging" / load_id
    with load_lock(wh):
        (staging / "tmp").mkdir(parents=True)
        con = connect(memory_limit, threads, staging / "tmp")
        try:
            dataset = discover(root, contract, con)
            _check_required(dataset, wh)
            report.ignored = dataset.ignored
            digests = {
                str(f.path.relative_to(root)): file_digest(f.path) for t in dataset.tables.values() for f in t.files
            }
            report.same_as_load = previous_load(wh.reports, digests)
            offset = 0
            held: dict[str, tuple[TableReport, StagedTable, str]] = {}
            with Progress(transient=True, disable=not progress) as bar:
                task = bar.add_task("loading / 加载中", total=len(dataset.tables))
                for name in contract.tables:
                    table = dataset.tables.get(name)
                    if table is None:
                        report.tables.append(TableReport(table=name, status="skipped"))
                        continue
                    bar.update(task, description=f"{name}")
                    out, staged, temp = _load_table(con, table, wh, staging, load_id, offset)
                    report.tables.append(out)
                    if temp is None:
                        out.rows_replaced, out.rows_in_warehouse = staged.rows_replaced, staged.rows_after
                    else:
                        held[name] = (out, staged, temp)
                    offset += len(table.files)
                    bar.advance(task)
                bar.update(task, description="TIN keys / 纳税人识别号键")
                keep = dictionary_recorded(wh)  # as the dictionary is read: extended from the one recorded?
                dictionary = _write_held(con, wh, staging, dataset, held)
            generation = dictionary_generation(con, staging / "derived" / DICTIONARY) if dictionary else None
            con.close()
            # the dictionary holds every registered TIN if the delivery's taxpayers went into it, or if it held
            # those of the warehouse's (as the manifest says) and they are not replaced: it only grows
            registered = "taxpayers" in dataset.tables or (dictionary and registered_covered(wh))
            manifest = _manifest(wh, staging, generation, list(held), registered, keep, report) if dictionary else None
            _swap(wh, staging, list(dataset.tables), dictionary)
            if dictionary:
                _record(wh, manifest, report)
                if warning := refresh_or_warn(wh, memory_limit, threads, staging / "tmp")[1]:
                    report.warnings.append(warning)
            report.finished_at = datetime.now().isoformat()
            report.seconds = round(time.perf_counter() - t0, 3)
            report.save(wh.reports)
            append_ledger(wh.reports, report, digests)
        finally:
            con.close()
            shutil.rmtree(staging, ignore_errors=True)
            if wh.root.joinpath(".staging").is_dir() and not any(wh.root.joinpath(".staging").iterdir()):
                wh.root.joinpath(".staging").rmdir()
    return report
