"""Benchmark: the whole feature layer built on a warehouse, every table rebuilt, seconds and peak RSS per table.

    PYTHONPATH=src python benchmarks/bench_feature_tables.py --warehouse WH [--label L] [--out F.jsonl]

Runs ``build_features`` as a scan does (DuckDB backend, ``memory_limit`` 10GB, no reuse) and times each table's
``_build_one``; before each table the process's peak RSS (``VmHWM``, Linux) is reset, so each table's peak is its
own. The feature tables are written into the warehouse's ``derived/`` folder, replacing any there. One JSON line
per run is printed and, with ``--out``, appended to that file. Run it under ``flock /work/bench.lock`` on a shared
machine, alternating the code or data being compared.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

import taxloop.features.build as build
from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.keys import prepare_keys
from taxloop.analytics.warehouse import Warehouse
from taxloop.features.months import months_covered

STATUS = Path("/proc/self/status")


def _peak_gb() -> float:
    """This process's peak RSS since the last reset (``VmHWM``), in GB; 0 when /proc is absent."""
    if not STATUS.exists():
        return 0.0
    line = next((x for x in STATUS.read_text().splitlines() if x.startswith("VmHWM")), "VmHWM: 0 kB")
    return round(int(line.split()[1]) / 1024 / 1024, 2)


def _reset_peak() -> None:
    clear = Path("/proc/self/clear_refs")
    if clear.exists():
        clear.write_text("5")


def timed_build(warehouse: Path, label: str) -> dict[str, Any]:
    """Build every feature table of ``warehouse``; seconds, rows and peak RSS per table, and the total."""
    tables: dict[str, dict[str, float | int]] = {}
    original = build._build_one

    def timed(backend: Any, table: str, *args: Any, **kwargs: Any) -> int:
        started = time.perf_counter()
        _reset_peak()
        rows = original(backend, table, *args, **kwargs)
        tables[table] = {"seconds": round(time.perf_counter() - started, 1), "rows": rows, "peak_gb": _peak_gb()}
        print(table, tables[table], flush=True)
        return rows

    backend = DuckDBBackend(Warehouse(warehouse), memory_limit="10GB")
    relations = prepare_keys(backend)
    months = sorted(months_covered(backend, relations))
    start = time.strftime("%H:%M:%S", time.gmtime())
    build._build_one = timed  # type: ignore[assignment]
    try:
        began = time.perf_counter()
        build.build_features(backend, reuse=False)
        total = round(time.perf_counter() - began, 1)
    finally:
        build._build_one = original  # type: ignore[assignment]
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024, 2)
    return {"label": label, "start_utc": start, "total_seconds": total, "tables": tables,
            "keyed_relations": sorted(relations), "month_table_sources": months, "peak_rss_gb": peak}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--label", default="", help="a name for this run in the output (code or data compared)")
    ap.add_argument("--out", type=Path, default=None, help="append the JSON line to this file")
    args = ap.parse_args()
    result = timed_build(args.warehouse, args.label)
    line = json.dumps(result)
    print(line)
    if args.out is not None:
        with args.out.open("a", encoding="utf-8") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
