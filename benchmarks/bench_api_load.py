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
from urllib.parse import urlsplit

TIMEOUT_S = 10.0
MAX_CONNECTIONS = 256


class Pool:
    """Keep-alive HTTP/1.1 connections to one loopback host (a minimal client: cheap on a busy machine)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.sem = asyncio.Semaphore(MAX_CONNECTIONS)
        self.resent = 0  # requests sent again after the server had closed an idle keep-alive connection

    async def get(self, path: str, token: str) -> int:
        """GET ``path`` with a bearer token; the status code (the body is read and dropped).

        Like browsers and HTTP libraries, a GET sent on a reused keep-alive connection that the server had already
        closed (idle timeout; nothing of a response read) is sent again once on a new connection.
        """
        async with self.sem:
            conn = self._idle_conn()
            if conn is not None:
                try:
                    return await self._exchange(conn, path, token)
                except asyncio.IncompleteReadError as exc:
                    if exc.partial:
                        raise
                    self.resent += 1
            return await self._exchange(await asyncio.open_connection(self.host, self.port), path, token)

    def _idle_conn(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        while self.idle:
            reader, writer = self.idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    async def _exchange(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str, token: str) -> int:
        reader, writer = conn
        try:
            head = f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n\r\n"
            writer.write(head.encode())
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
            await reader.readexactly(int(headers.get("content-length", "0")))
        except BaseException:
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append(conn)
        return status


async def _one(pool: Pool, path: str, token: str, scheduled: float, out: list[dict[str, Any]]) -> None:
    sent = time.perf_counter()
    status, error = 0, ""
    try:
        status = await asyncio.wait_for(pool.get(path, token), TIMEOUT_S)
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
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


async def drive(base: str, rate: float, requests: list[list[str]]) -> tuple[list[dict[str, Any]], float, int]:
    """Send every request at its scheduled time; returns the records, the wall time of the run and how many
    requests were sent again on a new connection (see ``Pool.get``)."""
    url = urlsplit(base)
    if url.hostname not in ("127.0.0.1", "localhost") or url.port is None:
        raise SystemExit(f"refusing to load anything but loopback: {base}")
    pool = Pool(url.hostname, url.port)
    out: list[dict[str, Any]] = []
    pending: set[asyncio.Task[None]] = set()
    t0 = time.perf_counter() + 0.2
    for i, (path, token) in enumerate(requests):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_one(pool, path, token, scheduled, out))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)  # each request is bounded by TIMEOUT_S
    for _, writer in pool.idle:
        writer.close()
    return out, time.perf_counter() - t0, pool.resent


def main(argv: list[str]) -> None:
    """Read the plan, drive the load, write the records."""
    plan = json.loads(Path(argv[0]).read_text())
    records, wall, resent = asyncio.run(drive(plan["base"], float(plan["rate"]), plan["requests"]))
    Path(argv[1]).write_text(json.dumps({"wall_s": wall, "resent": resent, "records": records}))


if __name__ == "__main__":
    main(sys.argv[1:])
