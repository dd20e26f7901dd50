"""Overload, closed loop, with wrk: more connections than the machine can answer.

    python -m bench.overload [--connections 64,10000,64] [--duration 20] [--workers 2]
                             [--employees 10000]
    python -m bench.overload --refusal-cost [--connections 2000,10000] [--duration 15]

Seeds N employees in a scratch PostgreSQL database, starts a redis-server of its own and
`shre serve` (production settings, cache on), then for each number of connections runs
`wrk -t2 -c<N> --timeout 10s` on `GET /api/v1/employees?page=2` as an employee, the same
server throughout: each connection sends its next request the moment its answer came,
whatever the answer (wrk does not wait a Retry-After). Per level it prints the 2xx and
the other answers a second, wrk's p50/p99 of all answers, its time-outs and socket
errors, the workers' CPU and the refusals by reason (`shre_http_requests_refused_total`,
read from /metrics before and after); then 2xx a second at each level against the first.

`--refusal-cost`: what one refusal costs the worker. One worker, one place
(`MAX_CONCURRENT_REQUESTS=1`, `ADMISSION_QUEUE=0`), held by a sign-in whose body never
comes; every request wrk sends is then refused. Prints the worker's CPU per refusal.

Needs wrk (Debian: `apt-get install wrk`); raises its own limit of open files for wrk.
"""

from __future__ import annotations

import argparse
import re
import resource
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.demo import scratch_database, seed
from bench.load import Redis, login, serve, server_env, shre, stop
from bench.me_latency import free_port
from bench.users import cpu_seconds, worker_pids

PAGE = "/api/v1/employees?page=2"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def refused(url: str) -> dict[str, float]:
    """Refusals so far, by reason, summed over the workers."""
    from prometheus_client.parser import text_string_to_metric_families

    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(httpx.get(url + "/metrics").text):
        for sample in family.samples:
            if sample.name == "shre_http_requests_refused_total":
                reason = sample.labels["reason"]
                counts[reason] = counts.get(reason, 0.0) + sample.value
    return counts


def latency_ms(output: str, percentile: str) -> float:
    found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    return float(found.group(1)) * UNITS[found.group(2)] if found else float("nan")


def wrk(url: str, token: str | None, connections: int, seconds: int) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}", "--timeout", "10s", "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run([*command, url + PAGE], capture_output=True, text=True).stdout
    total = re.search(r"(\d+) requests in", output)
    other = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if total is None:
        raise SystemExit(f"wrk printed no total:\n{output}")
    answers = int(total.group(1))
    non_2xx = int(other.group(1)) if other else 0
    return {
        "answers": answers,
        "ok": answers - non_2xx,
        "other": non_2xx,
        "p50": latency_ms(output, "50"),
        "p99": latency_ms(output, "99"),
        "socket_errors": sum(int(n) for n in errors.groups()[:3]) if errors else 0,
        "timeouts": int(errors.group(4)) if errors else 0,
    }


def overload(url: str, token: str, pids: list[int], args: argparse.Namespace) -> None:
    levels = [int(n) for n in args.connections.split(",")]
    rates = []
    for connections in levels:
        before, cpu, started = refused(url), cpu_seconds(pids), time.perf_counter()
        run = wrk(url, token, connections, args.duration)
        used = (cpu_seconds(pids) - cpu) / (time.perf_counter() - started)
        after = refused(url)
        reasons = {k: round(v - before.get(k, 0.0)) for k, v in after.items()}
        rates.append(run["ok"] / args.duration)
        print(
            f"{connections:>6} connections  2xx {run['ok'] / args.duration:7.0f}/s  "
            f"other {run['other'] / args.duration:6.0f}/s  p50 {run['p50']:7.1f}  "
            f"p99 {run['p99']:7.1f} ms (all answers)  time-outs {run['timeouts']}  "
            f"socket errors {run['socket_errors']}  workers' CPU {used:.0%}  "
            f"refused by reason {reasons}",
            flush=True,
        )
        time.sleep(3)  # the connections closed before the next level
    print("2xx/s against the first level:")
    for connections, rate in zip(levels, rates, strict=True):
        print(f"  {connections:>6}: {rate:7.0f}/s, {rate / rates[0]:.0%}")


def refusal_cost(url: str, port: int, pids: list[int], args: argparse.Namespace) -> None:
    # The worker's one place: a sign-in that declares a body and never sends it all.
    holder = socket.create_connection(("127.0.0.1", port))
    holder.sendall(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: bench\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    time.sleep(0.5)
    try:
        for connections in [int(n) for n in args.connections.split(",")]:
            cpu, started = cpu_seconds(pids), time.perf_counter()
            run = wrk(url, None, connections, args.duration)
            used = cpu_seconds(pids) - cpu
            seconds = time.perf_counter() - started
            note = "" if run["ok"] == 0 else f"  ({run['ok']} were not refused)"
            print(
                f"{connections:>6} connections  {run['other'] / args.duration:6.0f} refusals/s  "
                f"worker's CPU {used / seconds:.0%}  "
                f"{1e6 * used / max(1, run['answers']):.0f} µs per refusal{note}",
                flush=True,
            )
            time.sleep(3)
    finally:
        holder.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", default=None, help="e.g. 64,10000,64")
    parser.add_argument("--duration", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--refusal-cost", action="store_true")
    args = parser.parse_args()
    if args.connections is None:
        args.connections = "2000,10000" if args.refusal_cost else "64,10000,64"
    if args.duration is None:
        args.duration = 15 if args.refusal_cost else 20
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)  # wrk inherits it
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit[1], limit[1]))

    with (
        scratch_database(None, "shre_overload") as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        cwd = Path(tmp)
        redis = Redis(cwd)
        more = {"REDIS_ENABLED": "true"}
        if args.refusal_cost:
            more |= {"MAX_CONCURRENT_REQUESTS": "1", "ADMISSION_QUEUE": "0"}
        env = server_env(database_url, redis, **more)
        server = None
        try:
            shre(env, cwd, "migrate")
            demo, seconds = seed(env, cwd, 200 if args.refusal_cost else args.employees)
            print(f"seeded in {seconds:.0f} s", flush=True)
            redis.start()
            port = free_port()
            workers = 1 if args.refusal_cost else args.workers
            server = serve(env, cwd, port, workers)
            url = f"http://127.0.0.1:{port}"
            pids = worker_pids(server.pid)
            if args.refusal_cost:
                refusal_cost(url, port, pids, args)
                return
            token = login(url, demo.email("employee"), demo.password("employee"))
            httpx.get(url + PAGE, headers={"Authorization": f"Bearer {token}"})  # cached
            print(f"{workers} workers, GET {PAGE} as an employee, {args.duration} s per level")
            overload(url, token, pids, args)
        finally:
            stop(server, redis)


if __name__ == "__main__":
    main()
