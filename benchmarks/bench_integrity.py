"""Benchmark: the integrity scan over N operation-log rows (default 10 million), generated with DuckDB.

Usage::

    PYTHONPATH=src python benchmarks/bench_integrity.py --rows 10000000 --out /tmp/bench_integrity

Generates ``officers`` (2,000), ``taxpayers`` (200,000) and ``operation_log`` (cases of submit, accept,
approve, close plus queries, exports, modifies and voids) as Parquet in a warehouse, then times
``run_integrity_scan`` (every bundled rule, hits and scores written) and prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from pathlib import Path

import duckdb

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.integrity.service import run_integrity_scan

MATTERS = (
    "['VAT_REFUND','TAX_REDUCTION','PENALTY','DEFERRAL','DEREGISTRATION','INVOICE_QUOTA','RISK_RESPONSE','ABNORMAL_LIFT']"
)
ACTIONS = "['submit','accept','approve','close','query','export','modify','void']"
OFFICERS, TAXPAYERS = 2000, 200_000


def generate(root: Path, rows: int) -> None:
    """Write the synthetic warehouse tables with DuckDB (vectorised, no Python loops)."""
    wh = Warehouse(root).ensure()
    for name in ("operation_log", "officers", "taxpayers"):
        wh.table_dir(name).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"""COPY (
      SELECT 'O' || i AS officer_id, 'Officer ' || i AS name, 'ID' || i AS id_number, 'Addr ' || i AS address,
             '139' || lpad(CAST(i AS VARCHAR), 8, '0') AS phone, 'U' || (i % 50) AS unit_code,
             'R' || (i % 10) AS region_code,
             CASE WHEN i % 20 = 0 THEN 'leader' ELSE 'administrator' END AS role, CAST(1 + i % 5 AS BIGINT) AS level,
             NULL AS skills, DATE '2015-01-01' AS active_from, CAST(NULL AS DATE) AS active_to
      FROM range({OFFICERS}) t(i)) TO '{wh.table_dir("officers")}/part-0.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (
      SELECT 'REG' || i AS registration_id, 'T' || i AS tin, 'Firm ' || i AS name, 'enterprise' AS kind,
             'LR' || i AS legal_rep_id, 'FO' || i AS finance_officer_id, 'Street ' || i AS address,
             '0755' || lpad(CAST(i AS VARCHAR), 8, '0') AS phone, 'C3911' AS industry_code,
             'R' || (i % 10) AS region_code,
             DATE '2010-01-01' + CAST(i % 4000 AS INTEGER) AS registered_on,
             CASE WHEN i % 97 = 0 THEN 'abnormal' ELSE 'normal' END AS status
      FROM range({TAXPAYERS}) t(i)) TO '{wh.table_dir("taxpayers")}/part-0.parquet' (FORMAT parquet)""")
    con.execute(f"""COPY (
      WITH g AS (SELECT i, i // 5 AS c, i % 5 AS step, hash(i // 5) AS h FROM range({rows}) t(i))
      SELECT 'OP' || i AS op_id,
             TIMESTAMP '2023-01-02 08:00:00' + to_seconds(CAST(c * 20 % (700 * 86400) AS BIGINT))
               + to_hours(CAST(step * 2 AS INTEGER)) AS ts,
             'O' || CAST((h + step * 7919) % {OFFICERS} AS VARCHAR) AS officer_id,
             'management' AS system,
             {MATTERS}[1 + CAST(h % 8 AS INTEGER)] AS matter_code,
             'C' || c AS case_id,
             'T' || CAST(h % {TAXPAYERS} AS VARCHAR) AS tin,
             CASE WHEN step < 4 THEN {ACTIONS}[1 + step] ELSE {ACTIONS}[5 + CAST(h % 4 AS INTEGER)] END AS action,
             CASE WHEN step IN (0, 2) THEN CAST((h % 10000000) / 100.0 AS DECIMAL(18, 2)) END AS amount,
             CASE WHEN step = 2 THEN CAST(1 + h % 4 AS BIGINT) END AS required_level,
             CASE WHEN step = 3 THEN CASE WHEN h % 3 = 0 THEN 'no_issue' ELSE 'adjusted' END END AS note
      FROM g) TO '{wh.table_dir("operation_log")}' (FORMAT parquet, PER_THREAD_OUTPUT true)""")
    con.close()


def main() -> None:
    """Generate, scan, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_integrity"))
    parser.add_argument("--keep", action="store_true", help="reuse generated data if present")
    parser.add_argument("--slowest", type=int, default=5, help="how many of the slowest rules to list")
    args = parser.parse_args()
    if not (args.keep and (args.out / "tables" / "operation_log").is_dir()):
        shutil.rmtree(args.out, ignore_errors=True)
        start = time.perf_counter()
        generate(args.out, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.1f}s")
    backend = DuckDBBackend(Warehouse(args.out))
    load_before = os.getloadavg()[0]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    summary = run_integrity_scan(backend)
    seconds = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    backend.close()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    slowest = sorted(summary.runs, key=lambda r: -r.seconds)[: args.slowest]
    print(
        json.dumps(
            {
                "rows": args.rows,
                "load_average_1min_before": round(load_before, 1),
                "scan_seconds": round(seconds, 1),
                "scan_cpu_seconds": round(cpu, 1),
                "load_average_1min": round(os.getloadavg()[0], 1),
                "hits": summary.hits,
                "officers": summary.officers,
                "rules_ok": sum(r.status == "ok" for r in summary.runs),
                "rules_skipped": [r.code for r in summary.runs if r.status == "skipped"],
                "rules_error": [f"{r.code}: {r.message}" for r in summary.runs if r.status == "error"],
                "slowest": {r.code: round(r.seconds, 1) for r in slowest},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
