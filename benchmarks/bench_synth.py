"""Benchmark the synthetic city at scale: wall time, CPU time and peak memory of ``generate_city``.

Usage: python benchmarks/bench_synth.py [--taxpayers 1000000] [--months 24] [--out DIR] [--keep]
Prints one JSON line with the measured figures; deletes the output unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from taxloop.synth.city import generate_city
from taxloop.synth.params import SynthParams


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    """Run one generation and report the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--taxpayers", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", default="parquet", choices=["csv", "parquet"])
    parser.add_argument("--invoices-per-month", type=float, default=2.5)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_synth_")) / "city"
    params = SynthParams(taxpayers=args.taxpayers, months=args.months, seed=args.seed, fmt=args.format,
                         invoices_per_firm_month=args.invoices_per_month)
    load_before = os.getloadavg()[0]
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    counts = generate_city(out, params, show_progress=sys.stderr.isatty())
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_gb = _folder_bytes(out) / 1e9
    result = {
        "taxpayers": args.taxpayers, "months": args.months, "format": args.format,
        "invoices": counts["invoices"], "rows_total": sum(counts.values()),
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "peak_rss_mb": round(peak_mb),
        "output_gb": round(size_gb, 2), "load_avg_before": round(load_before, 1),
        "load_avg_after": round(os.getloadavg()[0], 1), "cores": os.cpu_count(), "rows": counts,
    }
    print(json.dumps(result))
    if not args.keep:
        shutil.rmtree(out.parent if args.out is None else out, ignore_errors=True)


if __name__ == "__main__":
    main()
