"""Benchmark: the start of a scan of some rules in a fresh process, before any feature is built.

    PYTHONPATH=src python benchmarks/bench_scan_start.py --warehouse /tmp/scan/wh100k --plan-cache DIR|off

Times, on a new DuckDB backend: the table list, the TIN count, ``prepare_keys`` (may the warehouse's integer TIN
keys be trusted?) and the planning of the pruned feature build for the ten rules of ``bench_pandas.py``. Prints
one JSON line. Runs with older code too (``PYTHONPATH`` of an older checkout): without ``pruned_plan`` (before
the plan cache) it plans with ``plan_features``, which is what such code does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    """Time each step once and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--plan-cache", default="off", help="plan cache folder or 'off' (code with a plan cache only)")
    ap.add_argument("--keys-only", action="store_true", help="time prepare_keys alone")
    args = ap.parse_args()
    from bench_pandas import CODES

    from taxloop.analytics.duckdb_backend import DuckDBBackend
    from taxloop.analytics.keys import prepare_keys
    from taxloop.analytics.warehouse import Warehouse
    from taxloop.features import plan as planning
    from taxloop.risk.library import load_library

    specs = load_library(codes=list(CODES))
    backend = DuckDBBackend(Warehouse(args.warehouse), memory_limit="10GB")
    out: dict[str, object] = {"warehouse": str(args.warehouse)}
    started = time.perf_counter()
    if args.keys_only:
        out["all_keys_trusted"] = prepare_keys(backend) == {}
    elif hasattr(planning, "pruned_plan"):
        cache = None if args.plan_cache == "off" else Path(args.plan_cache)
        _, hit = planning.pruned_plan(backend, specs, cache)
        out["plan"] = "off" if cache is None else "hit" if hit else "miss"
    else:  # code before the plan cache: build_pruned's steps up to the plan
        present = set(backend.table_names())
        backend.query("SELECT count(DISTINCT tin) AS n FROM taxpayers")
        planning.plan_features(specs, present, 1, prepare_keys(backend))
        out["plan"] = "no cache in this code"
    out["seconds"] = round(time.perf_counter() - started, 4)
    backend.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
