"""Open-loop HTTP load generator for ``bench_api.py`` (run in its own process; loopback only).

Sends request ``i`` at ``t0 + i / rate`` whether or not earlier ones have answered (a fixed arrival rate, like
wrk2), so a slow server cannot slow the generator down and hide its own latency (no coordinated omission).
Every request's latency is recorded twice: from its scheduled time (what a user would see) and from the moment
it was actually sent (service time). Input: a JSON plan ``{"base": ..., "rate": ..., "requests": [[path,
token], ...]}``; output: a JSON file with every latency and status.

    /work/venv/bin/python benchmarks/bench_api_load.py plan.json result.json
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

TIMEOUT_S = 10.0
MAX_CONNECTIONS = 256


async def _one(client: httpx.AsyncClient, path: str, token: str, scheduled: float, out: list[dict[str, Any]]) -> None:
    sent = time.perf_counter()
    status, error = 0, ""
    try:
        resp = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        await resp.aread()
        status = resp.status_code
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    done = time.perf_counter()
    out.append(
        {
            "path": "GET /api/tasks/{id}" if path.startswith("/api/tasks/") else f"GET {path.split('?')[0]}",
            "status": status,
            "error": error,
            "latency_ms": (done - scheduled) * 1000.0,
            "service_ms": (done - sent) * 1000.0,
            "lag_ms": (sent - scheduled) * 1000.0,
        }
    )


async def drive(base: str, rate: float, requests: list[list[str]]) -> tuple[list[dict[str, Any]], float]:
    """Send every request at its scheduled time; returns the records and the wall time of the run."""
    if not base.startswith(("http://127.0.0.1", "http://localhost")):
        raise SystemExit(f"refusing to load anything but loopback: {base}")
    out: list[dict[str, Any]] = []
    limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S, limits=limits) as client:
        pending: set[asyncio.Task[None]] = set()
        t0 = time.perf_counter() + 0.2
        for i, (path, token) in enumerate(requests):
            scheduled = t0 + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(_one(client, path, token, scheduled, out))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
    return out, time.perf_counter() - t0


def main(argv: list[str]) -> None:
    """Read the plan, drive the load, write the records."""
    plan = json.loads(Path(argv[0]).read_text())
    records, wall = asyncio.run(drive(plan["base"], float(plan["rate"]), plan["requests"]))
    Path(argv[1]).write_text(json.dumps({"wall_s": wall, "records": records}))


if __name__ == "__main__":
    main(sys.argv[1:])
