"""What the Prometheus metrics cost a request: the cached 50-row list page (an employee
reading: no decryption, no audit event, no SQL — the cheapest request, so the one the
per-request cost weighs most on) with METRICS_ENABLED true and false, alternating
`--runs` times, each on a server of its own; medians. Run through `python -m bench
--metrics-overhead` (bench/load.py seeds the database and starts Redis)."""

from __future__ import annotations

import argparse
import signal
import statistics
from pathlib import Path

import httpx

from bench.demo import Demo
from bench.load import free_port, login, plain_wrk, serve


def metrics_overhead(env: dict[str, str], cwd: Path, args: argparse.Namespace) -> None:
    path = "/api/v1/employees?page=3"
    demo: Demo = args.demo
    runs: dict[bool, list[float]] = {True: [], False: []}
    for n in range(1, args.runs + 1):
        for enabled in (True, False):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            server = serve(
                {**env, "METRICS_ENABLED": str(enabled).lower()}, cwd, port, args.workers
            )
            try:
                token = login(url, demo.email("employee"), demo.password("employee"))
                headers = {"Authorization": f"Bearer {token}"}
                httpx.get(url + path, headers=headers).raise_for_status()
                plain_wrk(url + path, headers, args.connections, 3)  # warm-up: cached now
                rps, p50, _ = plain_wrk(url + path, headers, args.connections, args.duration)
                scraped = httpx.get(url + "/metrics").status_code
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
            runs[enabled].append(rps)
            print(
                f"  run {n}, metrics {'on ' if enabled else 'off'}: {rps:7.0f} req/s "
                f"p50 {p50:5.2f} ms (/metrics answered {scraped})",
                flush=True,
            )
    on = statistics.median(runs[True])
    off = statistics.median(runs[False])
    print(
        f"MEDIAN cached list page (employee, c={args.connections}, {args.workers} workers): "
        f"metrics on {on:.0f} req/s, off {off:.0f} req/s -> the metrics cost {1 - on / off:.1%}",
        flush=True,
    )
