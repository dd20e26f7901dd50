"""Latency of GET /api/v1/me against a real `shre serve` process.

    python -m bench.me_latency [--database-url URL] [--requests 2000] [--runs 5]
                               [--concurrency 1] [--workers 1]

Starts a server in a temporary directory (SQLite by default), creates an admin, signs in,
then runs a loop of authenticated GET /api/v1/me requests over keep-alive connections.
Prints p50/p95/p99 latency and requests/s for each run, then the median over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PASSWORD = "latency probe phrase 2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    workdir: Path, env: dict[str, str], port: int, workers: int
) -> subprocess.Popen[bytes]:
    def shre(*args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "shre", *args],
            cwd=workdir,
            env=env,
            check=True,
            capture_output=True,
        )

    shre("migrate")
    shre("create-admin", "--email", "bench@example.com", "--password", PASSWORD, "--force")
    process = subprocess.Popen(
        [sys.executable, "-m", "shre", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


async def one_run(
    url: str, headers: dict[str, str], requests: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    per_worker = requests // concurrency

    async def worker() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as client:
            for _ in range(per_worker):
                started = time.perf_counter()
                response = await client.get("/api/v1/me")
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "rps": len(latencies) / elapsed,
        "errors": float(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = dict(os.environ)
        env.update(
            SHRE_ENV="production",
            ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
            JWT_SECRET=secrets.token_urlsafe(48),
            LOG_LEVEL="WARNING",
        )
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        else:
            env["DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        port = free_port()
        server = start_server(workdir, env, port, args.workers)
        try:
            url = f"http://127.0.0.1:{port}"
            login = httpx.post(
                url + "/api/v1/auth/login",
                json={"email": "bench@example.com", "password": PASSWORD},
            )
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            asyncio.run(one_run(url, headers, 200, 1))  # warm-up
            backend = env["DATABASE_URL"].split(":", 1)[0]
            print(
                f"GET /api/v1/me  backend={backend} workers={args.workers} "
                f"concurrency={args.concurrency} requests/run={args.requests}"
            )
            results = []
            for run in range(1, args.runs + 1):
                result = asyncio.run(one_run(url, headers, args.requests, args.concurrency))
                results.append(result)
                print(
                    f"  run {run}: p50 {result['p50_ms']:.2f} ms  p95 {result['p95_ms']:.2f} ms  "
                    f"p99 {result['p99_ms']:.2f} ms  {result['rps']:.0f} req/s  "
                    f"errors {int(result['errors'])}"
                )
            med = {k: statistics.median(r[k] for r in results) for k in results[0]}
            print(
                f"  median of {args.runs}: p50 {med['p50_ms']:.2f} ms  p95 {med['p95_ms']:.2f} ms  "
                f"p99 {med['p99_ms']:.2f} ms  {med['rps']:.0f} req/s"
            )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
