"""Benchmark: the full active indicator library over a synthetic city, against the single-pass floor.

    PYTHONPATH=src python benchmarks/bench_scan.py --taxpayers 1000000 --months 24 --work /tmp/bench_scan

1. generates the city with ``taxloop.synth`` (Parquet; skipped when ``--work/city`` already exists),
2. puts its tables into a warehouse (``--work/wh/tables/<table>/``; no loader checks, to time the scan only);
   with ``--copies N`` the city is replicated N times with every identifier relabelled (``<id>~<copy>``), so a
   20,000-taxpayer synthetic city becomes a 1,000,000-taxpayer one with the same statistical shape in minutes
   (generating 1M taxpayers directly takes hours on 2 cores),
3. writes the integer TIN keys into the tables (``taxloop keys``: what the loader does for loaded data; timed
   apart as ``keys_seconds``; ``--no-keys`` leaves the tables as copied, and the scan then looks keys up itself),
4. measures the floor: one DuckDB pass reading the invoice columns the library reads, key columns included when
   present (counting them, as before, and decoding every value: a hash of each value of each column),
5. runs ``taxloop scan --rebuild-features`` in a child process (features + every active rule + scoring + sampling:
   the features are built even when a previous run left them unchanged) and measures its wall time, CPU time and
   peak memory (the child's ``VmHWM``),
6. with ``--rescan``, runs ``taxloop scan`` once more on the unchanged warehouse: the scan a bureau repeats without
   a new delivery (the feature tables are kept, ``taxloop.features.reuse``), measured the same way (``rescan_*``),
7. prints and saves ``--work/bench_scan.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

INVOICE_COLUMNS = ("seller_tin", "buyer_tin", "issued_on", "amount", "tax_amount", "tax_rate", "goods_code", "kind",
                   "status")  # fmt: skip


def generate(city: Path, taxpayers: int, months: int, seed: int) -> float:
    """Write the synthetic city as Parquet; returns seconds (0 when it already exists)."""
    if city.exists():
        return 0.0
    from taxloop.synth.city import generate_city
    from taxloop.synth.params import SynthParams

    started = time.perf_counter()
    generate_city(city, SynthParams(taxpayers=taxpayers, months=months, seed=seed, fmt="parquet"))
    return time.perf_counter() - started


def link_tables(city: Path, wh: Path) -> list[str]:
    """Hard-link every ``<table>.parquet`` or ``<table>/*.parquet`` of the city into ``wh/tables/<table>/``."""
    names = []
    for entry in sorted(city.iterdir()):
        parts = [entry] if entry.suffix == ".parquet" else sorted(entry.glob("*.parquet")) if entry.is_dir() else []
        if not parts or entry.name == "truth":
            continue
        name = entry.name.removesuffix(".parquet")
        target = wh / "tables" / name
        target.mkdir(parents=True, exist_ok=True)
        for i, part in enumerate(parts):
            dest = target / f"part-{i:05d}.parquet"
            if not dest.exists():
                os.link(part, dest)
        names.append(name)
    return names


ID_COLUMNS = {"tin", "seller_tin", "buyer_tin", "registration_id", "invoice_id", "legal_rep_id",
              "finance_officer_id", "phone", "holder_id", "seller_id", "buyer_id", "credit_code", "property_id",
              "parcel_id", "declaration_id", "case_id"}  # fmt: skip
NOT_REPLICATED = {"officers", "operation_log"}  # staff tables: not read by taxpayer indicators


def replicate(city: Path, wh: Path, copies: int, memory_limit: str) -> list[str]:
    """Write ``copies`` relabelled copies of every city table into ``wh/tables/<table>/``."""
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit='{memory_limit}'")
    names = []
    for entry in sorted(city.iterdir()):
        if entry.name == "truth":
            continue
        name = entry.name.removesuffix(".parquet")
        target = wh / "tables" / name
        if target.exists():
            names.append(name)
            continue
        src = str(entry / "*.parquet") if entry.is_dir() else str(entry)
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{src}')").fetchall()]
        n = 1 if name in NOT_REPLICATED else copies

        def expr(c: str, name: str = name) -> str:
            if c in ID_COLUMNS:
                return f'CASE WHEN r.k = 0 THEN "{c}" ELSE "{c}" || \'~\' || r.k END AS "{c}"'
            if name == "taxpayer_changes" and c in ("old_value", "new_value"):
                relabel = "field IN ('tin', 'legal_rep_id', 'finance_officer_id', 'phone') AND r.k > 0"
                return f'CASE WHEN {relabel} THEN "{c}" || \'~\' || r.k ELSE "{c}" END AS "{c}"'
            return f'"{c}"'

        select = ", ".join(expr(c) for c in cols)
        target.mkdir(parents=True)
        con.execute(
            f"COPY (SELECT {select} FROM read_parquet('{src}'), range({n}) r(k)) TO '{target}'"
            " (FORMAT parquet, PER_THREAD_OUTPUT true, OVERWRITE_OR_IGNORE true)"
        )
        names.append(name)
    con.close()
    return names


def floor(wh: Path, memory_limit: str, decode: bool = False) -> tuple[float, int]:
    """Seconds of one DuckDB pass reading the invoice columns, and the invoice count.

    The default pass counts each column (as in sessions 1 and 2; ``count(col)`` needs only the validity of a
    column); ``decode=True`` hashes every value of every column (session 4: the min and max used in session 3
    can be answered from Parquet statistics, 0.03 s for 54 M invoices written by the loader's writer).
    """
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit='{memory_limit}'")
    glob = str(wh / "tables" / "invoices" / "*.parquet")
    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{glob}')").fetchall()}
    columns = [c for c in (*INVOICE_COLUMNS, "seller_key", "buyer_key") if c in present]
    if decode:  # a hash of every value: min/max may come from Parquet statistics without decoding anything
        aggs = ", ".join(f"bit_xor(hash({c}))" for c in columns)
    else:
        aggs = ", ".join(f"count({c})" for c in columns) + ", sum(amount)"
    started = time.perf_counter()
    row = con.execute(f"SELECT count(*), {aggs} FROM read_parquet('{glob}')").fetchall()[0]
    seconds = time.perf_counter() - started
    con.close()
    return seconds, int(row[0])


def _hwm_gb(pid: int) -> float | None:
    """The peak resident set of process ``pid`` so far (``VmHWM``), in GB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        return None
    return None


def run_scan(wh: Path, memory_limit: str, extra: list[str]) -> tuple[float, float, float, int]:
    """Run ``taxloop scan`` in a child; returns (seconds, CPU seconds user + sys, peak RSS in GB, exit code).

    The peak is the child's own ``VmHWM``, read every 0.2 s until it exits: ``wait4``'s ``ru_maxrss`` also counts
    the parent's resident set at the fork (Linux keeps the larger at exec), which after ``replicate`` and
    ``taxloop keys`` in this process is several GB that the scan never used (session 7: 9.82 GB reported for a
    scan whose own peak was 4.5 GB)."""
    src = os.environ.get("PYTHONPATH") or str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "TAXLOOP_MEMORY_LIMIT": memory_limit, "PYTHONPATH": src}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "taxloop", "scan", "-w", str(wh), *extra], env=env)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _hwm_gb(proc.pid) or 0.0)
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, peak, proc.returncode


def scan_phases(wh: Path) -> dict[str, float]:
    """Seconds per phase (features, rules, scoring) from the newest scan report, if any."""
    reports = sorted((wh / "reports").glob("scan-*.json"), key=lambda p: p.stat().st_mtime)
    return dict(json.loads(reports[-1].read_text(encoding="utf-8"))["seconds"]) if reports else {}


def main() -> None:
    """Parse arguments, run the steps, print and save the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--taxpayers", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_scan"))
    ap.add_argument("--copies", type=int, default=1, help="replicate the generated city N times (relabelled)")
    ap.add_argument("--memory-limit", default="10GB", help="DuckDB memory_limit for floor and scan")
    ap.add_argument("--no-keys", action="store_true", help="do not write the integer TIN keys (taxloop keys)")
    ap.add_argument("--rescan", action="store_true", help="scan again, features kept (unchanged inputs)")
    ap.add_argument("scan_args", nargs="*", help="extra arguments for taxloop scan (after --)")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    gen = generate(args.work / "city", args.taxpayers, args.months, args.seed)
    wh = args.work / "wh"
    started = time.perf_counter()
    if args.copies > 1:
        tables = replicate(args.work / "city", wh, args.copies, args.memory_limit)
    else:
        tables = link_tables(args.work / "city", wh)
    prepare = time.perf_counter() - started
    keys_s = None
    if not args.no_keys:  # every run: keys written by an older taxloop would not be trusted (looked up instead)
        from taxloop.analytics.warehouse import Warehouse
        from taxloop.load.keys import index_warehouse

        started = time.perf_counter()
        index_warehouse(Warehouse(wh), args.memory_limit)
        keys_s = round(time.perf_counter() - started, 1)
    load_before = os.getloadavg()
    floor_s, invoices = floor(wh, args.memory_limit)
    decode_s, _ = floor(wh, args.memory_limit, decode=True)
    scan_s, cpu_s, peak_gb, code = run_scan(wh, args.memory_limit, ["--rebuild-features", *args.scan_args])
    phases = scan_phases(wh)
    rescan: dict[str, object] = {}
    if args.rescan and code == 0:
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        again_s, _, again_gb, again_code = run_scan(wh, args.memory_limit, args.scan_args)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        again_cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
        rescan = {
            "rescan_seconds": round(again_s, 1),
            "rescan_cpu_seconds": round(again_cpu, 1),
            "rescan_phases": scan_phases(wh),
            "rescan_ratio_to_decode_floor": round(again_s / decode_s, 1) if decode_s else None,
            "rescan_peak_rss_gb": round(again_gb, 2),
            "rescan_exit_code": again_code,
        }
    result = {
        "taxpayers_generated": args.taxpayers,
        "months": args.months,
        "invoices": invoices,
        "tables": tables,
        "copies": args.copies,
        "generate_seconds": round(gen, 1),
        "prepare_seconds": round(prepare, 1),
        "keys_seconds": keys_s,
        "floor_seconds": round(floor_s, 2),
        "scan_seconds": round(scan_s, 1),
        "scan_cpu_seconds": round(cpu_s, 1),
        "scan_phases": phases,
        "ratio_to_floor": round(scan_s / floor_s, 1) if floor_s else None,
        "decode_floor_seconds": round(decode_s, 2),
        "ratio_to_decode_floor": round(scan_s / decode_s, 1) if decode_s else None,
        "peak_rss_gb": round(peak_gb, 2),
        "scan_exit_code": code,
        "load_average_before": load_before,
        "load_average": os.getloadavg(),
        **rescan,
    }
    print(json.dumps(result, indent=2))
    (args.work / "bench_scan.json").write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
