"""Benchmark: one feature table's SQL (the packaged one or variants) on a warehouse, in one or more parts (ranges of TIN keys, as the build).

    PYTHONPATH=src python benchmarks/bench_feature_sql.py --warehouse WH [--table features_period]
        [--parts 1,4] [--repeat 2] [VARIANT.sql ...]

The tables the feature table reads (e.g. ``features_tin``) are built first when the warehouse lacks them. Each
SQL (``current`` = the packaged file, plus every variant file given) is written with
``COPY ... DERIVED_PARQUET`` like the DuckDB backend does, once per part; wall and CPU seconds
of this process (all DuckDB threads) are printed per SQL, part count and repetition. Variants tried in session 2
are in ``benchmarks/feature_variants/``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from taxloop.analytics.duckdb_backend import DERIVED_PARQUET, DuckDBBackend
from taxloop.analytics.keys import prepare_keys
from taxloop.analytics.warehouse import Warehouse
from taxloop.features.build import feature_sql, key_span, render, tables_needed


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Parse arguments, build what is missing, time each SQL."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--table", default="features_period")
    ap.add_argument("--parts", default="1", help="comma-separated part counts, e.g. 1,4")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("variants", nargs="*", type=Path, help="variant SQL files (same placeholders as the packaged one)")
    args = ap.parse_args()
    backend = DuckDBBackend(Warehouse(args.warehouse))
    relations = prepare_keys(backend)  # the TIN keys, looked up at scan time when the tables lack them
    present = set(backend.table_names())
    span = key_span(backend, relations)  # the largest key, which the parts split
    for table in tables_needed([args.table])[:-1]:
        if table not in present:
            backend.materialize(table, render(feature_sql(table), present, relations=relations))
            present.add(table)
    sqls = {"current": feature_sql(args.table)} | {p.name: p.read_text(encoding="utf-8") for p in args.variants}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeat):
            for name, template in sqls.items():
                for parts in (int(n) for n in args.parts.split(",")):
                    cpu0, wall0 = cpu_seconds(), time.perf_counter()
                    rows = 0
                    for k in range(parts):
                        sql = render(template, present, k, parts, relations, span)
                        target = Path(out) / f"part-{k}.parquet"
                        copy = f"COPY ({sql}) TO '{target}' {DERIVED_PARQUET}"
                        rows += int(backend.con.execute(copy).fetchall()[0][0])
                    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
                    print(f"{name:40s} parts={parts} rows={rows} wall={wall:7.2f} s cpu={cpu:7.2f} s", flush=True)


if __name__ == "__main__":
    main()
