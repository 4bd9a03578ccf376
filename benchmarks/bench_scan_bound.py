"""Benchmark: the least a scan that builds the features must compute, against the decode floor.

    PYTHONPATH=src python benchmarks/bench_scan_bound.py --wh /tmp/scan/bench1m/wh [--repeat 2]

The issue aims for a full scan under 15x "the single-pass floor" (one DuckDB pass reading the invoice columns;
``bench_scan.py``'s decode floor hashes every value of them). The library's indicators read invoice sums at five
granularities, and each is a GROUP BY that no single pass over the invoices can avoid: by seller and month (sales
side), by buyer and month (purchase side), by seller and buyer (trading pairs), by taxpayer and goods-code prefix
(goods mix, both sides), and the payments by taxpayer and period (arrears). This script runs each of them in its
barest form, on the integer TIN keys, with one count and one sum and nothing written, and reports its seconds and
their total as a multiple of the decode floor measured in the same run. The total is not a scan: it has no flags,
no other sources, no joins, no decoding of TINs, no writes, no rules and no scoring. It is a lower bound on the
feature layer that any design computing these sums from the raw invoices pays on this machine and engine.

Needs a warehouse with the integer keys (``taxloop keys``); prints and saves ``--out`` (JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import duckdb
from bench_scan import floor  # the scan benchmark's decode floor, measured the same way

MONTH = "year(issued_on) * 12 + month(issued_on)"
GROUPINGS: dict[str, tuple[str, str, str]] = {
    # name: (table, keys, filter)
    "seller_month": ("invoices", f"seller_key, {MONTH}", "true"),
    "buyer_month": ("invoices", f"buyer_key, {MONTH}", "buyer_key IS NOT NULL"),
    "pairs": ("invoices", "seller_key, buyer_key", "buyer_key IS NOT NULL"),
    "seller_goods": ("invoices", "seller_key, substr(goods_code, 1, 3)", "true"),
    "buyer_goods": ("invoices", "buyer_key, substr(goods_code, 1, 3)", "buyer_key IS NOT NULL"),
    "payments_period": ("payments", "tin_key, period", "true"),
}
SUMMED = {"invoices": "amount", "payments": "amount_due"}
#: ``--cells``: the grain of the invoice cells table the feature layer had until session 12 (not needed by any
#: indicator as such; outside the total)
CELLS = ("invoices", f"seller_key, buyer_key, {MONTH}, substr(goods_code, 1, 3)", "true")


def bound_sql(glob: str, keys: str, where: str, summed: str) -> str:
    """One bare GROUP BY: ``count(*)`` and one sum per group, folded into a single row so nothing is returned
    or written (the outer sums keep the optimizer from dropping the inner aggregate)."""
    return (
        f"SELECT count(*), sum(n), sum(s) FROM (SELECT {keys}, count(*) AS n, sum({summed}) AS s"
        f" FROM read_parquet('{glob}') WHERE {where} GROUP BY {keys})"
    )


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, float, tuple[object, ...]]:
    """Wall and process CPU seconds of one query, and its row."""
    wall, cpu = time.perf_counter(), time.process_time()
    row = con.execute(sql).fetchone()
    assert row is not None
    return time.perf_counter() - wall, time.process_time() - cpu, tuple(row)


def main() -> None:
    """Parse arguments, run the floor and each grouping ``--repeat`` times (alternated), print and save."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wh", type=Path, required=True, help="warehouse folder (tables/<name>/*.parquet)")
    ap.add_argument("--repeat", type=int, default=2, help="rounds; each round runs the floor and every grouping")
    ap.add_argument("--memory-limit", default="10GB")
    ap.add_argument("--cells", action="store_true", help="also time a GROUP BY on the invoice cells' grain")
    ap.add_argument("--out", type=Path, default=None, help="JSON output (default: WH/../bench_scan_bound.json)")
    args = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"SET memory_limit='{args.memory_limit}'")
    globs = {t: str(args.wh / "tables" / t / "*.parquet") for t in SUMMED}
    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{globs['invoices']}')").fetchall()}
    if "seller_key" not in present:
        raise SystemExit(f"{args.wh}: invoices have no seller_key; run `taxloop keys -w {args.wh}` first")
    rounds = []
    for r in range(args.repeat):
        wall, invoices = floor(args.wh, args.memory_limit, decode=True)
        one: dict[str, object] = {"round": r + 1, "decode_floor_seconds": round(wall, 2), "invoices": invoices}
        for name, (table, keys, where) in GROUPINGS.items():
            wall, cpu, row = timed(con, bound_sql(globs[table], keys, where, SUMMED[table]))
            one[name] = {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "groups": row[0], "rows": row[1]}
        if args.cells:
            table, keys, where = CELLS
            wall, cpu, row = timed(con, bound_sql(globs[table], keys, where, SUMMED[table]))
            one["cells_grain_not_in_total"] = {
                "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "groups": row[0]
            }
        total = sum(float(v["seconds"]) for k, v in one.items() if k in GROUPINGS)  # type: ignore[arg-type]
        one["groupings_seconds"] = round(total, 2)
        one["ratio_to_decode_floor"] = round(total / float(one["decode_floor_seconds"]), 1)  # type: ignore[arg-type]
        print(json.dumps(one, indent=2))
        rounds.append(one)
    result = {"warehouse": str(args.wh), "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
              "cpus": os.cpu_count(), "rounds": rounds}  # fmt: skip
    out = args.out or args.wh.parent / "bench_scan_bound.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
