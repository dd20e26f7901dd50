"""What the Prometheus metrics, and the access log, cost a request: the cached 50-row list
page (an employee reading: no decryption, no audit event, no SQL — the cheapest request,
so the one the per-request cost weighs most on) with METRICS_ENABLED true and false, or
with LOG_LEVEL INFO (an ECS line per request, written to a file) and WARNING, alternating
`--runs` times, each on a server of its own; medians. Run through `python -m bench
--metrics-overhead` or `--log-overhead` (bench/load.py seeds the database and starts
Redis)."""

from __future__ import annotations

import argparse
import signal
import statistics
from pathlib import Path

import httpx

from bench.demo import Demo
from bench.load import free_port, login, plain_wrk, serve


def metrics_overhead(env: dict[str, str], cwd: Path, args: argparse.Namespace) -> None:
    overhead(env, cwd, args, "metrics", {"METRICS_ENABLED": "true"}, {"METRICS_ENABLED": "false"})


def log_overhead(env: dict[str, str], cwd: Path, args: argparse.Namespace) -> None:
    """The access log's ECS line per request (to a file, as a container runtime takes
    it), against none (WARNING: nothing is logged on a healthy run)."""
    log = cwd / "bench-access.log"
    overhead(
        {**env, "BENCH_SERVER_LOG": str(log)},
        cwd,
        args,
        "the access log",
        {"LOG_LEVEL": "INFO"},
        {"LOG_LEVEL": "WARNING"},
    )
    log.unlink(missing_ok=True)


def overhead(
    env: dict[str, str],
    cwd: Path,
    args: argparse.Namespace,
    what: str,
    on_env: dict[str, str],
    off_env: dict[str, str],
) -> None:
    path = "/api/v1/employees?page=3"
    demo: Demo = args.demo
    runs: dict[bool, list[float]] = {True: [], False: []}
    for n in range(1, args.runs + 1):
        for enabled in (True, False):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            server = serve({**env, **(on_env if enabled else off_env)}, cwd, port, args.workers)
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
                f"  run {n}, {what} {'on ' if enabled else 'off'}: {rps:7.0f} req/s "
                f"p50 {p50:5.2f} ms (/metrics answered {scraped})",
                flush=True,
            )
    on = statistics.median(runs[True])
    off = statistics.median(runs[False])
    print(
        f"MEDIAN cached list page (employee, c={args.connections}, {args.workers} workers): "
        f"{what} on {on:.0f} req/s, off {off:.0f} req/s -> {what} cost {1 - on / off:.1%}",
        flush=True,
    )
