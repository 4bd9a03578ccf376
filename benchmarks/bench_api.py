"""Benchmark (issue 5): officer inbox and task detail on PostgreSQL with 1,000,000 tasks, 200 requests/s for 60 s.

Steps: a fresh schema in database ``test`` on 127.0.0.1:5432 (user postgres, trust auth), migrated to head;
1,000 officers with accounts; 1,000,000 tasks (1,000 per officer) generated server-side by one
``INSERT ... SELECT generate_series`` (fast, nothing on disk here); ``uvicorn taxloop.api.asgi:app`` with 2 workers
on a free loopback port; then ``bench_api_load.py`` (its own process) sends GET /api/tasks (a random officer's
inbox, with that officer's token) and GET /api/tasks/{id} (one of that officer's own tasks), half each, at a fixed
rate, after a warm-up of 300 requests at 50/s that is not counted. Prints and writes p50/p95/p99 and errors
(any non-200 or transport error; a request has 10 s). The schema is dropped at the end unless ``--keep``.

    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_api.py --tasks 1000000 --rate 200 --seconds 60
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from taxloop.api.accounts import accounts_from_officers
from taxloop.api.security import issue_token
from taxloop.workflow.matters import default_catalogue
from taxloop.workflow.store import make_engine, migrate
from taxloop.workflow.tables import officers

HERE = Path(__file__).resolve().parent
BASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "bench-api-secret-not-for-production-0123456789"
REGIONS = 10
WARMUP_REQUESTS, WARMUP_RATE = 300, 50.0


def setup(url: str, schema: str, n_tasks: int, n_officers: int) -> dict[str, float]:
    """Fresh schema, migrations, officers, accounts and tasks; returns the seconds each step took."""
    timings: dict[str, float] = {}
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = make_engine(url, schema)
    t = time.perf_counter()
    migrate(engine)
    timings["migrate_s"] = time.perf_counter() - t
    matter = sorted(default_catalogue().matters)[0]
    t = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            officers.insert(),
            [
                {
                    "officer_id": f"O{i:04d}",
                    "name": f"官员{i}",
                    "unit_code": f"U{i % (REGIONS * 3):03d}",
                    "region_code": f"R{i % REGIONS:02d}",
                    "role": "inspector",
                    "level": 3,
                    "skills": ["vat"],
                    "capacity": 2000,
                    "active": True,
                }
                for i in range(n_officers)
            ],
        )
        accounts_from_officers(conn, "bench-password")
    timings["officers_accounts_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with engine.begin() as conn:
        # task g belongs to officer g % n_officers; one in ten has no deadline; statuses vary
        conn.execute(
            sa.text(
                """
                INSERT INTO wf_tasks (task_id, kind, matter_code, batch_id, scan_id, entity_id, tins, region_code,
                  selection, score, level, indicators, hit_keys, difficulty, skills, persons, status, push_week,
                  assignee_id, restricted, created_at, pushed_at, allocated_at, due_at, review_drawn, version)
                SELECT 'T' || lpad(g::text, 8, '0'), 'risk', :matter, 'B1', 'S1', 'E' || g,
                  json_build_array('9144' || lpad(g::text, 14, '0')), 'R' || lpad(((g % :n) % :r)::text, 2, '0'),
                  'indicator', (g % 1000) / 10.0, 'high', '["VAT_001", "INV_002"]'::json, '[]'::json,
                  1 + g % 5, '["vat"]'::json, '{}'::json,
                  (ARRAY['allocated', 'in_progress', 'responded', 'closed'])[1 + g % 4], '2026-W40',
                  'O' || lpad((g % :n)::text, 4, '0'), false, now(), now(), now(),
                  CASE WHEN g % 10 = 0 THEN NULL ELSE now() + make_interval(days => g % 90) END, false, 1
                FROM generate_series(0, :tasks - 1) AS g
                """
            ),
            {"matter": matter, "n": n_officers, "r": REGIONS, "tasks": n_tasks},
        )
    timings["insert_tasks_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
    timings["analyze_s"] = time.perf_counter() - t
    engine.dispose()
    return timings


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, schema: str, port: int, workers: int, warehouse: Path) -> subprocess.Popen[bytes]:
    """``uvicorn taxloop.api.asgi:app`` on 127.0.0.1:port, waiting until /api/health answers."""
    env = dict(os.environ)
    env.update(
        TAXLOOP_WORKFLOW_URL=f"{url}?options=-csearch_path%3D{schema}",
        TAXLOOP_SECRET_KEY=SECRET,
        TAXLOOP_WAREHOUSE=str(warehouse),
        PYTHONPATH=str(HERE.parent / "src"),
    )
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "taxloop.api.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)  # its own group: workers stop with it
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited with {proc.returncode}")
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit("uvicorn did not answer /api/health within 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop uvicorn and its workers (the whole process group it leads); kill after 30 s."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    time.sleep(1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers still finishing abandoned requests


def smoke(base: str, n_officers: int) -> None:
    """A real login, then one inbox and one detail: they must answer 200 with the officer's own tasks."""
    r = httpx.post(f"{base}/api/auth/token", data={"username": "O0007", "password": "bench-password"}, timeout=30)
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    inbox = httpx.get(f"{base}/api/tasks", headers=headers, timeout=30)
    inbox.raise_for_status()
    rows = inbox.json()
    assert rows and all(t["assignee_id"] == "O0007" for t in rows), "inbox is not the officer's own tasks"
    dues = [t["due_at"] for t in rows if t["due_at"]]
    assert dues == sorted(dues), "inbox not in deadline order"
    detail = httpx.get(f"{base}/api/tasks/{rows[0]['task_id']}", headers=headers, timeout=30)
    detail.raise_for_status()
    other = httpx.get(f"{base}/api/tasks/T{8 + 0:08d}", headers=headers, timeout=30)
    assert other.status_code == 404, "another officer's task must not be visible"


def plan(n_tasks: int, n_officers: int, total: int, seed: int) -> list[list[str]]:
    """``total`` requests alternating inbox / detail, each as a random officer with that officer's token."""
    rng = random.Random(seed)
    tokens = {i: issue_token(f"O{i:04d}", SECRET) for i in range(n_officers)}
    per_officer = n_tasks // n_officers
    out = []
    for k in range(total):
        o = rng.randrange(n_officers)
        if k % 2 == 0:
            out.append(["/api/tasks", tokens[o]])
        else:
            g = o + n_officers * rng.randrange(per_officer)
            out.append([f"/api/tasks/T{g:08d}", tokens[o]])
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(-(-q * len(s) // 100)) - 1))]


def summarise(records: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    """Counts, achieved rate and latency percentiles overall and per endpoint."""

    def stats(rs: list[dict[str, Any]]) -> dict[str, Any]:
        lat = [r["latency_ms"] for r in rs]
        svc = [r["service_ms"] for r in rs]
        return {
            "requests": len(rs),
            "errors": sum(1 for r in rs if r["status"] != 200),
            **{f"p{q}_ms": round(percentile(lat, q), 1) for q in (50, 95, 99)},
            "max_ms": round(max(lat), 1),
            "service_p99_ms": round(percentile(svc, 99), 1),
        }

    by_path: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_path.setdefault(r["path"], []).append(r)
    errors = sorted({f"{r['status']} {r['error']}" for r in records if r["status"] != 200})[:10]
    return {
        "throughput_rps": round(len(records) / wall, 1),
        **stats(records),
        "by_endpoint": {k: stats(v) for k, v in sorted(by_path.items())},
        "error_kinds": errors,
    }


def main() -> None:
    """Set up, serve, load, report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--officers", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--schema", default="bench_api")
    ap.add_argument("--url", default=os.environ.get("TAXLOOP_TEST_PG_URL", BASE_URL))
    ap.add_argument("--skip-setup", action="store_true", help="reuse the schema of a --keep run")
    ap.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "api_load.json")
    args = ap.parse_args()
    if not args.url.startswith("postgresql+psycopg://postgres@127.0.0.1"):
        raise SystemExit("this benchmark only runs against PostgreSQL on 127.0.0.1")
    timings = {} if args.skip_setup else setup(args.url, args.schema, args.tasks, args.officers)
    print(f"setup: {json.dumps({k: round(v, 1) for k, v in timings.items()})}", flush=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(args.url, args.schema, port, args.workers, Path(tmp) / "warehouse")
        try:
            base = f"http://127.0.0.1:{port}"
            smoke(base, args.officers)
            total = int(args.rate * args.seconds)
            plan_file, result_file = Path(tmp) / "plan.json", Path(tmp) / "result.json"
            load_cmd = [sys.executable, str(HERE / "bench_api_load.py"), str(plan_file), str(result_file)]
            # warm-up, not counted: both workers import lazily, fill their pools and build their DuckDB backend
            warm = plan(args.tasks, args.officers, WARMUP_REQUESTS, seed=4)
            plan_file.write_text(json.dumps({"base": base, "rate": WARMUP_RATE, "requests": warm}))
            subprocess.run(load_cmd, check=True, timeout=120)
            reqs = plan(args.tasks, args.officers, total, seed=5)
            plan_file.write_text(json.dumps({"base": base, "rate": args.rate, "requests": reqs}))
            load_before = os.getloadavg()
            subprocess.run(
                load_cmd,
                check=True,
                timeout=args.seconds * 3 + 60,
            )
            load_after = os.getloadavg()
            raw = json.loads(result_file.read_text())
        finally:
            stop_server(server)
    summary = summarise(raw["records"], raw["wall_s"])
    summary.update(
        resent_after_idle_close=raw.get("resent", 0),
        tasks=args.tasks,
        officers=args.officers,
        target_rps=args.rate,
        seconds=args.seconds,
        workers=args.workers,
        loadavg_before=[round(x, 2) for x in load_before],
        loadavg_after=[round(x, 2) for x in load_after],
        cores=os.cpu_count(),
        setup=timings,
        goal_met=summary["p99_ms"] < 100 and summary["errors"] == 0,
    )
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    if not args.keep:
        admin = sa.create_engine(args.url)
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
