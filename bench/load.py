"""Load benchmark: a read-heavy mix against a real server, with the cache on and off.

    python -m bench.load [--employees 10000] [--duration 20] [--connections 16]
                         [--workers 2] [--runs 3] [--readers mixed|hr|staff]
                         [--database-url URL --seeded] [--no-outage] [--compare-bare | --bare-only]
                         [--list-page-by-role]

Seeds N employees (`shre seed-demo`) in a scratch PostgreSQL database on 127.0.0.1:5432,
starts a redis-server of its own on a free port, then for each configuration starts
`shre serve` (production settings, --workers) and drives it with wrk (Debian package
`wrk`): 95% reads — employee list pages with filters and sorts, employee records,
department statistics, document metadata (lists and records; 40 small documents are
uploaded first), by an hr user, a manager and an employee in equal shares (`--readers hr`:
hr only, whose employee reads are each an audited sensitive read; `--readers staff`: the
manager and the employee only) — and 5% writes (the hr user changing an employee's phone).

Prints, per run (cache on and off alternate, --runs of each, then their medians):
requests/s, p50/p95/p99 latency, errors, the cache hit ratio and database queries per
request, with those of the audit log apart (all counted by the app processes themselves
and read from GET /api/v1/admin/stats), then a run with the cache on where redis-server is killed
halfway: errors must stay 0.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.demo import Demo, demo_of, scratch_database, seed
from bench.me_latency import free_port

LUA = """
local reads = {%(reads)s}
local writes = {%(writes)s}
local auth = "Bearer %(token)s"
local readers = {%(readers)s}
local write_percent = %(write_percent)d
local counter = 0
local threads = {}
server_errors = 0
refused = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + seed)
end

function request()
  if math.random(100) <= write_percent then
    local id = writes[math.random(#writes)]
    local body = '{"phone":"+49 30 ' .. math.random(1000000, 9999999) .. '"}'
    return wrk.format("PATCH", "/api/v1/employees/" .. id,
      {["Authorization"] = auth, ["Content-Type"] = "application/json"}, body)
  end
  local path = reads[math.random(#reads)]
  local reader = "Bearer " .. readers[math.random(#readers)]
  if string.sub(path, 1, 18) == "/api/v1/documents/" then
    reader = auth  -- other people's documents are hr's to read
  end
  return wrk.format("GET", path, {["Authorization"] = reader})
end

function response(status, headers, body)
  if status >= 500 then
    server_errors = server_errors + 1
  elseif status >= 400 then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local failed, denied = 0, 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("server_errors")
    denied = denied + thread:get("refused")
  end
  io.write(string.format(
    'RESULT {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p95_us":%%d,"p99_us":%%d,'
    .. '"status_errors":%%d,"refused":%%d,"socket_errors":%%d,"timeouts":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), failed, denied,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout))
end
"""


def shre(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "shre", *args], env=env, cwd=cwd, check=True, capture_output=True
    )
    return done.stdout.decode()


class Redis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.3)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def server_env(database_url: str, redis: Redis, **more: str) -> dict[str, str]:
    """The environment of the servers measured: production settings, the scratch
    database, the benchmark's own redis-server (enabled or not by the caller)."""
    return {
        **os.environ,
        "SHRE_ENV": "production",
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEY": os.environ.get("ENCRYPTION_KEY")
        or base64.b64encode(secrets.token_bytes(32)).decode(),
        "JWT_SECRET": secrets.token_urlsafe(48),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(redis.port),
        **more,
    }


def serve(env: dict[str, str], cwd: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    # Warnings and errors of the server (LOG_LEVEL=WARNING) go to BENCH_SERVER_LOG if set
    # (in the server's environment, or this process's).
    log_path = env.get("BENCH_SERVER_LOG") or os.environ.get("BENCH_SERVER_LOG")
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "shre", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=log,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def stop(server: subprocess.Popen[bytes] | None, *services: Redis) -> None:
    """A benchmark's teardown: its server (if it started) stopped, then its services."""
    if server is not None:
        server.terminate()
        server.wait(timeout=30)
    for service in services:
        service.kill()


def login(url: str, email: str, password: str) -> str:
    response = httpx.post(url + "/api/v1/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return str(response.json()["access_token"])


def process_stats(url: str, token: str, workers: int) -> dict[int, dict[str, Any]]:
    """The counters of every worker (requests land on any one: ask until all answered)."""
    seen: dict[int, dict[str, Any]] = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(200):
            # A fresh connection each time, so the kernel may hand it to another worker.
            stats = httpx.get(url + "/api/v1/admin/stats", headers=client.headers, timeout=5).json()
            seen[stats["process"]["pid"]] = stats
            if len(seen) >= workers:
                break
    return seen


def totals(stats: dict[int, dict[str, Any]]) -> dict[str, int]:
    out = {"requests": 0, "db_queries": 0, "audit_queries": 0, "hits": 0, "misses": 0, "errors": 0}
    for one in stats.values():
        out["requests"] += one["process"]["requests"]
        out["db_queries"] += one["process"]["db_queries"]
        out["audit_queries"] += one["process"]["audit_queries"]
        for name in ("hits", "misses", "errors"):
            out[name] += one["cache"][name]
    return out


def mix(url: str, token: str) -> tuple[list[str], list[str]]:
    headers = {"Authorization": f"Bearer {token}"}
    people = httpx.get(url + "/api/v1/employees?page_size=500", headers=headers).json()["items"]
    departments = httpx.get(url + "/api/v1/departments?page_size=500", headers=headers).json()[
        "items"
    ]
    rng = random.Random(7)  # noqa: S311 - a benchmark's request mix
    reads: list[str] = []
    for page in range(1, 21):
        reads.append(f"/api/v1/employees?page={page}")
        reads.append(f"/api/v1/employees?page={page}&sort=-hire_date")
    for department in departments[:20]:
        reads.append(f"/api/v1/employees?department_id={department['id']}")
        reads.append(f"/api/v1/departments/{department['id']}/stats")
    for status in ("active", "on_leave", "terminated"):
        reads.append(f"/api/v1/employees?status={status}")
    for person in rng.sample(people, min(200, len(people))):
        reads.append(f"/api/v1/employees/{person['id']}")
    writes = [p["id"] for p in rng.sample(people, min(100, len(people)))]
    # Document metadata: a few dozen small contracts and certificates (uploaded once per
    # database; the files themselves are not in the mix).
    listed = httpx.get(url + "/api/v1/documents?page_size=100", headers=headers).json()
    documents = listed["items"]
    for n, person in enumerate(rng.sample(people, min(40, len(people)) - len(documents))):
        uploaded = httpx.post(
            url + "/api/v1/documents",
            headers=headers,
            data={"employee_id": person["id"], "category": rng.choice(["contract", "other"])},
            files={"file": (f"note-{n}.txt", f"Employment note {n}\n".encode(), "text/plain")},
            timeout=30,
        )
        uploaded.raise_for_status()
        documents.append(uploaded.json())
    for page in range(1, 3):
        reads.append(f"/api/v1/documents?page={page}&page_size=20")
    for category in ("contract", "other"):
        reads.append(f"/api/v1/documents?category={category}")
    for document in documents:
        reads.append(f"/api/v1/documents/{document['id']}")
    return reads, writes


def wrk(url: str, script: Path, connections: int, seconds: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def run(
    label: str,
    env: dict[str, str],
    cwd: Path,
    args: argparse.Namespace,
    redis: Redis | None,
    kill_redis_halfway: bool = False,
) -> dict[str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = serve(env, cwd, port, args.workers)
    try:
        demo: Demo = args.demo
        hr = login(url, demo.email("hr"), demo.password("hr"))
        admin = login(url, demo.email("admin"), demo.password("admin"))
        readers = [] if args.readers == "staff" else [hr]
        if args.readers != "hr":
            readers += [
                login(url, demo.email("manager"), demo.password("manager")),
                login(url, demo.email("employee"), demo.password("employee")),
            ]
        if redis is not None:
            # The cache-off runs wrote past the cache (no server of theirs knew of it): each
            # run with it starts empty, as after a deploy, and the warm-up fills it.
            flushed = httpx.delete(
                url + "/api/v1/admin/cache", headers={"Authorization": f"Bearer {admin}"}
            )
            flushed.raise_for_status()
        reads, writes = mix(url, hr)
        script = cwd / "mix.lua"
        script.write_text(
            LUA
            % {
                "reads": ",".join(json.dumps(r) for r in reads),
                "writes": ",".join(json.dumps(w) for w in writes),
                "token": hr,
                "readers": ",".join(json.dumps(r) for r in readers),
                "write_percent": args.write_percent,
            }
        )
        # Warm-up: every read of the mix once by each of its readers (a run with the cache
        # measures it filled, as it is once a server has run a while), then wrk for a few
        # seconds (connections, plans).
        with httpx.Client(base_url=url, timeout=30) as warm:
            for path in reads:
                by = [hr] if path.startswith("/api/v1/documents/") else readers
                for token in by:
                    warm.get(path, headers={"Authorization": f"Bearer {token}"})
        wrk(url, script, args.connections, 3)
        before = totals(process_stats(url, admin, args.workers))
        killer = None
        if kill_redis_halfway and redis is not None:
            killer = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    f"import os, signal, time; time.sleep({args.duration / 2}); "
                    f"os.kill({redis.process.pid if redis.process else 0}, signal.SIGKILL)",
                ]
            )
        result = wrk(url, script, args.connections, args.duration)
        if killer is not None:
            killer.wait()
        after = totals(process_stats(url, admin, args.workers))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    served = after["requests"] - before["requests"]
    looked = (after["hits"] - before["hits"]) + (after["misses"] - before["misses"])
    measured = {
        "rps": result["requests"] / (result["duration_us"] / 1e6),
        "p50": result["p50_us"] / 1000,
        "p95": result["p95_us"] / 1000,
        "p99": result["p99_us"] / 1000,
        "errors": result["status_errors"] + result["socket_errors"] + result["timeouts"],
        "5xx": result["status_errors"],
        "socket": result["socket_errors"],
        "timeouts": result["timeouts"],
        "refused": result["refused"],
        "hit_ratio": (after["hits"] - before["hits"]) / looked if looked else 0.0,
        "queries": (after["db_queries"] - before["db_queries"]) / max(served, 1),
        "audit": (after["audit_queries"] - before["audit_queries"]) / max(served, 1),
        "cache_errors": after["errors"] - before["errors"],
    }
    report(label, measured)
    return measured


def report(label: str, m: dict[str, float]) -> None:
    print(
        f"{label:<30} {m['rps']:7.1f} req/s  p50 {m['p50']:6.1f} ms  p95 {m['p95']:6.1f} ms  "
        f"p99 {m['p99']:6.1f} ms  errors {m['errors']:3.0f} (5xx {m['5xx']:.0f}, socket "
        f"{m['socket']:.0f}, timeout {m['timeouts']:.0f})  4xx {m['refused']:4.0f}  "
        f"hit ratio {m['hit_ratio']:5.1%}  "
        f"db queries/request {m['queries']:6.3f} (audit log {m['audit']:5.3f})  "
        f"cache errors {m['cache_errors']:.0f}",
        flush=True,
    )


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def plain_wrk(
    url: str, headers: dict[str, str], connections: int, seconds: int
) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 latency (ms) of one URL (wrk, no script); every answer must
    be a 2xx (an expired token would make a fast benchmark of 401s)."""
    args = ["wrk", "--latency", f"-t{min(2, connections)}", f"-c{connections}"]
    args += [f"-d{seconds}s", url]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw answers other than 2xx from {url}:\n{out}")
    lines = out.splitlines()
    rps = float(next(x for x in lines if x.startswith("Requests/sec:")).split()[1])
    p50 = _ms(next(x for x in lines if x.strip().startswith("50%")).split()[1])
    p99 = _ms(next(x for x in lines if x.strip().startswith("99%")).split()[1])
    return rps, p50, p99


def _ms(value: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return float(value.removesuffix(unit)) * factor
    return float(value)


def compare_bare(env: dict[str, str], cwd: Path, args: argparse.Namespace) -> None:
    """The cached 50-row list page (an employee reading: no decryption, no audit event)
    next to a bare FastAPI endpoint answering the same page as bytes serialised once,
    alternating --runs times; medians."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    path = "/api/v1/employees?page=3"
    server = serve(env, cwd, port, args.workers)
    bare_port = free_port()
    bare_url = f"http://127.0.0.1:{bare_port}/page"
    bare: subprocess.Popen[bytes] | None = None
    shre_runs: list[tuple[float, float, float]] = []
    bare_runs: list[tuple[float, float, float]] = []
    try:
        demo: Demo = args.demo
        token = login(url, demo.email("employee"), demo.password("employee"))
        headers = {"Authorization": f"Bearer {token}"}
        page = httpx.get(url + path, headers=headers)
        page.raise_for_status()
        (cwd / "page.json").write_bytes(page.content)
        bare = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "bench.bare:app", "--port", str(bare_port)),
                *("--workers", str(args.workers), "--log-level", "warning", "--no-access-log"),
            ],
            env={**os.environ, "BARE_PAGE_FILE": str(cwd / "page.json")},
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                httpx.get(bare_url).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        plain_wrk(url + path, headers, args.connections, 3)  # warm-up: cached now
        plain_wrk(bare_url, {}, args.connections, 3)
        for _ in range(args.runs):
            # A fresh token each run: access tokens live 15 minutes.
            token = login(url, demo.email("employee"), demo.password("employee"))
            headers = {"Authorization": f"Bearer {token}"}
            shre_runs.append(plain_wrk(url + path, headers, args.connections, args.duration))
            bare_runs.append(plain_wrk(bare_url, {}, args.connections, args.duration))
            rps, p50, _ = shre_runs[-1]
            print(
                f"  cached list page {rps:7.0f} req/s p50 {p50:5.2f} ms; "
                f"bare endpoint {bare_runs[-1][0]:7.0f} req/s -> {rps / bare_runs[-1][0]:.1%}",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        if bare is not None:
            bare.terminate()
            bare.wait(timeout=30)
    shre_rps = statistics.median(r for r, _, _ in shre_runs)
    shre_p50 = statistics.median(p for _, p, _ in shre_runs)
    bare_rps = statistics.median(r for r, _, _ in bare_runs)
    print(
        f"MEDIAN cached list page (employee, 50 rows, {len(page.content)} bytes, "
        f"c={args.connections}): {shre_rps:.0f} req/s, p50 {shre_p50:.2f} ms; bare FastAPI "
        f"endpoint, same bytes: {bare_rps:.0f} req/s -> {shre_rps / bare_rps:.1%} of it",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write-percent", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seeded", action="store_true")
    parser.add_argument(
        "--seed-output", default=None, help="with --seeded: what seed-demo printed (sign-ins)"
    )
    parser.add_argument("--no-outage", action="store_true", help="skip the Redis-kill run")
    parser.add_argument("--runs", type=int, default=3, help="runs of each, alternating")
    parser.add_argument(
        "--compare-bare",
        action="store_true",
        help="also compare the cached list page with a bare endpoint serving its bytes",
    )
    parser.add_argument(
        "--bare-only", action="store_true", help="only the comparison with a bare endpoint"
    )
    parser.add_argument(
        "--list-page-by-role",
        action="store_true",
        help="only the cached default list page, read by hr, a manager and an employee in "
        "turn (bench/by_role.py)",
    )
    parser.add_argument(
        "--metrics-overhead",
        action="store_true",
        help="only the cached list page with the Prometheus metrics on and off (bench/metrics.py)",
    )
    parser.add_argument(
        "--log-overhead",
        action="store_true",
        help="only the cached list page with the access log (LOG_LEVEL=INFO) on and off "
        "(bench/metrics.py)",
    )
    parser.add_argument(
        "--readers",
        choices=["mixed", "hr", "staff"],
        default="mixed",
        help="who reads employees: hr, a manager and an employee in equal shares; hr only "
        "(every hr read of employees returns sensitive fields: an audit event each); or "
        "staff, a manager and an employee (nothing audited; documents are still hr's)",
    )
    args = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (Debian: apt-get install {tool})")

    with (
        scratch_database(args.database_url, "shre_load") as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        cwd = Path(tmp)
        redis = Redis(cwd)
        env = server_env(database_url, redis)
        try:
            shre(env, cwd, "migrate")
            if args.seeded:
                args.demo = demo_of(args.seed_output)
            else:
                args.demo, seconds = seed(env, cwd, args.employees)
                print(f"seeded {args.employees} employees in {seconds:.0f} s")
            print(
                f"{args.workers} workers, wrk -c{args.connections} -d{args.duration}s, "
                f"{100 - args.write_percent}% reads / {args.write_percent}% writes"
            )
            redis.start()
            on = {**env, "REDIS_ENABLED": "true", "CACHE_ENABLED": "true"}
            off = {**env, "REDIS_ENABLED": "false", "CACHE_ENABLED": "false"}
            # Alternating, so slow phases of a shared machine hit both alike.
            results: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
            only_one = (
                args.bare_only
                or args.list_page_by_role
                or args.metrics_overhead
                or args.log_overhead
            )
            for n in range(1, 0 if only_one else args.runs + 1):
                results["on"].append(run(f"cache on (Redis), run {n}", on, cwd, args, redis))
                results["off"].append(run(f"cache off, run {n}", off, cwd, args, None))
            if args.runs > 1 and not only_one:
                report("MEDIAN cache on (Redis)", median_of(results["on"]))
                report("MEDIAN cache off", median_of(results["off"]))
                pairs = [
                    1 - on["queries"] / off["queries"]
                    for on, off in zip(results["on"], results["off"], strict=True)
                ]
                on_q = median_of(results["on"])["queries"]
                off_q = median_of(results["off"])["queries"]
                print(
                    f"db queries/request, cache on against off: {on_q:.3f} / {off_q:.3f} = "
                    f"-{1 - on_q / off_q:.1%} (runs: "
                    + ", ".join(f"-{p:.1%}" for p in pairs)
                    + ")",
                    flush=True,
                )
            if args.compare_bare or args.bare_only:
                compare_bare(on, cwd, args)
            if args.list_page_by_role:
                from bench.by_role import list_page_by_role

                list_page_by_role(on, cwd, args)
            if args.metrics_overhead:
                from bench.metrics import metrics_overhead

                metrics_overhead(on, cwd, args)
            if args.log_overhead:
                from bench.metrics import log_overhead

                log_overhead(on, cwd, args)
            alone = args.list_page_by_role or args.metrics_overhead or args.log_overhead
            if not args.no_outage and not alone:
                run("cache on, Redis killed", on, cwd, args, redis, kill_redis_halfway=True)
        finally:
            redis.kill()


if __name__ == "__main__":
    main()
