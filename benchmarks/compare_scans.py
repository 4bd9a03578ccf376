"""Do two or more scans hold the same ``indicator_hits`` and ``risk_scores`` (scan_id aside)?

Usage: ``python benchmarks/compare_scans.py DIR1 DIR2 ...`` where each DIR holds copies of a warehouse's
``derived/indicator_hits`` and ``derived/risk_scores`` folders. Prints per scan and table the row count, an
order-free hash (DuckDB ``sum(hash(row))``), the column types, and the rows of each ``EXCEPT ALL`` (both ways)
against the first scan: ``0/0`` means the same multiset of rows.
"""

from __future__ import annotations

import sys

import duckdb

COLS = {
    "indicator_hits": "code, subject_id, tin, period, value, threshold, evidence, weight, severity, category",
    "risk_scores": "rank, entity_id, tins, score, expert_score, model_score, level, indicators, selection, "
    "region_code, industry_code",
}


def main() -> None:
    """Compare every scan folder given on the command line with the first."""
    con = duckdb.connect()
    runs = sys.argv[1:]

    def src(run: str, table: str) -> str:
        quoted = ", ".join(f'"{c.strip()}"' for c in COLS[table].split(","))
        return f"(SELECT {quoted} FROM read_parquet('{run}/{table}/*.parquet'))"

    for run in runs:
        for table in COLS:
            quoted = ", ".join(f'"{c.strip()}"' for c in COLS[table].split(","))
            n, h = con.sql(f"SELECT count(*), sum(hash({quoted})::HUGEINT) FROM {src(run, table)}").fetchall()[0]
            types = ",".join(r[1] for r in con.sql(f"DESCRIBE {src(run, table)}").fetchall())
            a = con.sql(f"SELECT count(*) FROM ({src(run, table)} EXCEPT ALL {src(runs[0], table)})").fetchall()[0][0]
            b = con.sql(f"SELECT count(*) FROM ({src(runs[0], table)} EXCEPT ALL {src(run, table)})").fetchall()[0][0]
            print(f"{run} {table}: {n} rows, hash {h}, types {types}, diff vs first {a}/{b}", flush=True)


if __name__ == "__main__":
    main()
