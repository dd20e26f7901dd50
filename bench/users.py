"""Many users at once: each its own keep-alive connection, a request now and then.

    python -m bench.users [--users 10000 | --users 1000,2000,5000,10000] [--duration 60]
                          [--ramp 12] [--think 10] [--mix employee|hr|mixed] [--workers 2]
                          [--employees 10000] [--write-percent 5]

Seeds N employees in a scratch PostgreSQL database, starts a redis-server of its own and
`shre serve` (production settings, cache on, --workers), then for each number of users:
every user opens a connection of its own at a moment spread evenly over the first
`--ramp` seconds, sends a request at once, then one after each think time (exponential,
mean `--think` seconds), on the same connection, until `--duration` seconds have passed.
That offers about users / think requests per second. `--think 0` makes it a closed loop
(each user's next request as soon as its answer came): overload at any number of users.

- `--mix employee`: list pages (filters and sorts) and records, read as an employee;
- `--mix hr`: the load benchmark's hr mix (list pages, records, department statistics,
  document metadata) and `--write-percent` writes (an employee's phone changed);
- `--mix mixed`: a third of the users hr (as `--mix hr`, writes included), a third a
  manager and a third an employee reading the same pages (documents aside).

The load generator is one process of asyncio (on uvloop, as the server) over raw
HTTP/1.1 (a request is bytes made once, an answer is read by its Content-Length): cheap
enough to share the machine with the server it measures; its own CPU is reported. Per
run it prints the users connected (and those that could not within 5 s), answers by
status, errors (5xx, 10 s time-outs, connections lost; a request on a kept connection
the server closed while idle is sent again on a new one, as browsers do), latency
p50/p90/p99/max of every answer and the rate and p99 of the 2xx ones, the server's CPU,
and each worker's RSS after the first minute and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvloop

from bench.demo import Demo, scratch_database, seed
from bench.load import Redis, login, mix, serve, server_env, shre, stop
from bench.me_latency import free_port

CONNECT_TIMEOUT = 5.0
ANSWER_TIMEOUT = 10.0
Pick = Callable[[random.Random], bytes]


@dataclass
class Tally:
    """What the users saw, over one run."""

    connected: int = 0
    not_connected: int = 0
    reconnects: int = 0
    timeouts: int = 0
    lost: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    ok: list[float] = field(default_factory=list)
    other: list[float] = field(default_factory=list)
    # (when the request was sent, how long its answer took), for the timeline.
    sent: list[tuple[float, float]] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return len(self.ok) + len(self.other)

    @property
    def errors(self) -> int:
        server = sum(n for status, n in self.statuses.items() if status >= 500)
        return server + self.timeouts + self.lost + self.not_connected


class Connection:
    """One user's connection: raw HTTP/1.1, keep-alive."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = self.idle = False

    async def open(self) -> None:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.used = self.idle = False  # idle: the request now sent had one before it

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def exchange(self, request: bytes) -> int:
        """Send `request`, read its whole answer: the status."""
        if self.reader is None or self.writer is None:
            raise ConnectionError("not connected")
        self.idle = self.used
        self.used = True
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise ConnectionError("an answer without Content-Length")
        end = lower.index(b"\r\n", at + 2)
        length = int(lower[at + 17 : end])
        if length:
            await self.reader.readexactly(length)
        if b"\r\nconnection: close" in lower:
            self.close()
        return status


async def user(
    connection: Connection,
    pick: Pick,
    rng: random.Random,
    *,
    arrive: float,
    until: float,
    think: float,
    tally: Tally,
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, arrive - loop.time()))
    try:
        await connection.open()
    except (OSError, TimeoutError):
        tally.not_connected += 1
        return
    tally.connected += 1
    try:
        while loop.time() < until:
            request = pick(rng)
            started = time.perf_counter()
            try:
                if connection.writer is None:
                    tally.reconnects += 1
                    await connection.open()
                async with asyncio.timeout(ANSWER_TIMEOUT):
                    try:
                        status = await connection.exchange(request)
                    except asyncio.IncompleteReadError as closed:
                        if closed.partial or not connection.idle:
                            raise
                        # The server closed the connection while it was idle (a think
                        # time past its keep-alive): as a browser does, send it again
                        # on a new one.
                        tally.reconnects += 1
                        connection.close()
                        await connection.open()
                        status = await connection.exchange(request)
            except TimeoutError:
                tally.timeouts += 1
                connection.close()
            except (OSError, asyncio.IncompleteReadError, ConnectionError):
                tally.lost += 1
                connection.close()
            else:
                took = time.perf_counter() - started
                tally.statuses[status] += 1
                (tally.ok if 200 <= status < 300 else tally.other).append(took)
                tally.sent.append((loop.time(), took))
            if think > 0:  # 0: a closed loop, the next request as soon as the answer came
                pause = min(rng.expovariate(1 / think), max(0.0, until - loop.time()))
                await asyncio.sleep(pause)
    finally:
        connection.close()


def requests_of(
    host: str, port: int, paths: list[str], token: str, writes: list[str], write_percent: int
) -> Pick:
    """A picker of requests (bytes made once): reads among `paths`, and a share of writes
    (an employee's phone) when `writes` are given."""
    head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
    reads = [f"GET {path} HTTP/1.1\r\n{head}\r\n".encode() for path in paths]

    def patch(rng: random.Random) -> bytes:
        body = f'{{"phone":"+49 30 {rng.randint(1000000, 9999999)}"}}'.encode()
        return (
            f"PATCH /api/v1/employees/{rng.choice(writes)} HTTP/1.1\r\n{head}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    def pick(rng: random.Random) -> bytes:
        if writes and rng.randrange(100) < write_percent:
            return patch(rng)
        return rng.choice(reads)

    return pick


def employee_reads(url: str, token: str) -> list[str]:
    """What an employee reads: list pages (filters, sorts) and records."""
    headers = {"Authorization": f"Bearer {token}"}
    people = httpx.get(url + "/api/v1/employees?page_size=500", headers=headers).json()["items"]
    rng = random.Random(11)  # noqa: S311 - a benchmark's request mix
    paths = [f"/api/v1/employees?page={page}" for page in range(1, 21)]
    paths += [f"/api/v1/employees?page={page}&sort=last_name" for page in range(1, 6)]
    paths += [f"/api/v1/employees/{p['id']}" for p in rng.sample(people, min(200, len(people)))]
    return paths


def worker_pids(server: int) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ] or [server]


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(ordered: list[float], q: float) -> float:
    """Quantile `q` of `ordered` (seconds, sorted), in ms."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(
    host: str,
    port: int,
    picks: list[Pick],
    users: int,
    args: argparse.Namespace,
    pids: list[int],
) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    tally = Tally()
    start = loop.time() + 0.5
    until = start + args.duration
    rusage = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = cpu_seconds(pids)
    wall = time.perf_counter()
    rss_first: list[float] = []

    mark = min(60.0, args.duration * 0.9)

    async def minute_mark() -> None:
        await asyncio.sleep(0.5 + mark)
        rss_first.extend(round(rss_mb(pid)) for pid in pids)

    marker = asyncio.create_task(minute_mark())
    await asyncio.gather(
        *(
            user(
                Connection(host, port),
                picks[n % len(picks)],  # the roles in turn
                random.Random(n),  # noqa: S311 - a benchmark's think times
                arrive=start + args.ramp * n / users,
                until=until,
                think=args.think,
                tally=tally,
            )
            for n in range(users)
        )
    )
    await marker
    seconds = time.perf_counter() - wall
    used = resource.getrusage(resource.RUSAGE_SELF)
    own = (used.ru_utime - rusage.ru_utime) + (used.ru_stime - rusage.ru_stime)
    every = sorted(tally.ok + tally.other)
    ok = sorted(tally.ok)
    return {
        "users": users,
        "connected": tally.connected,
        "not_connected": tally.not_connected,
        "requests": tally.answered,
        "rps": tally.answered / args.duration,
        "statuses": dict(sorted(tally.statuses.items())),
        "errors": tally.errors,
        "timeouts": tally.timeouts,
        "lost": tally.lost,
        "reconnects": tally.reconnects,
        "p50": percentile(every, 0.50),
        "p90": percentile(every, 0.90),
        "p99": percentile(every, 0.99),
        "max": every[-1] * 1000 if every else float("nan"),
        "ok_p99": percentile(ok, 0.99),
        "ok_rps": len(tally.ok) / args.duration,
        "generator_cpu": own / seconds,
        "server_cpu": (cpu_seconds(pids) - server_cpu) / seconds,
        "timeline": timeline(tally.sent, start, args.duration),
        "mark": mark,
        "rss_first": rss_first,
        "rss_end": [round(rss_mb(pid)) for pid in pids],
    }


def timeline(sent: list[tuple[float, float]], start: float, duration: float) -> list[str]:
    """Per 10 s of the run: requests sent, and their answers' p50/p99 in ms."""
    windows: dict[int, list[float]] = {}
    for at, took in sent:
        windows.setdefault(int((at - start) // 10), []).append(took)
    for window in windows.values():
        window.sort()
    return [
        f"{10 * n:>3}-{10 * n + 10} s: {len(windows[n]):>6} "
        f"p50 {percentile(windows[n], 0.5):7.1f} p99 {percentile(windows[n], 0.99):7.1f}"
        for n in sorted(windows)
        if n * 10 < duration
    ]


def server_histogram(url: str) -> dict[float, float]:
    """The server's request duration histogram (every worker's, every route's), as
    cumulative counts by bucket bound, over every request since it started: read before
    and after a run, `histogram_quantile` takes the difference."""
    from prometheus_client.parser import text_string_to_metric_families

    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(httpx.get(url + "/metrics").text):
        for sample in family.samples:
            if sample.name == "http_request_duration_seconds_bucket":
                le = float(sample.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + sample.value
    return buckets


def histogram_quantile(before: dict[float, float], after: dict[float, float], q: float) -> float:
    """The bound (ms) of the bucket that holds quantile `q` of the requests in between."""
    counts = sorted((le, after[le] - before.get(le, 0.0)) for le in after)
    total = counts[-1][1] if counts else 0.0
    for le, count in counts:
        if count >= q * total:
            return le * 1000
    return float("nan")


def report(result: dict[str, object]) -> None:
    print(
        f"{result['users']:>6} users  connected {result['connected']:>6} "
        f"(not {result['not_connected']})  {result['requests']:>7} answers "
        f"{result['rps']:7.1f}/s  errors {result['errors']} (time-outs {result['timeouts']}, "
        f"lost {result['lost']}; reconnects {result['reconnects']})  "
        f"p50 {result['p50']:6.1f}  p90 {result['p90']:6.1f}  p99 {result['p99']:7.1f}  "
        f"max {result['max']:7.1f} ms  2xx {result['ok_rps']:.1f}/s p99 {result['ok_p99']:.1f} ms  "
        f"statuses {result['statuses']}  CPU: generator {result['generator_cpu']:.0%}, "
        f"server {result['server_cpu']:.0%}  RSS MB per worker: at "
        f"{result['mark']:.0f} s {result['rss_first']}, at the end {result['rss_end']}",
        flush=True,
    )
    print(
        f"    the server's own (histogram bucket bounds): p50 <= {result['server_p50']:.0f} ms, "
        f"p99 <= {result['server_p99']:.0f} ms"
    )
    for line in result["timeline"]:  # type: ignore[attr-defined]
        print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="10000", help="a number, or several: 1000,5000")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--ramp", type=float, default=12.0)
    parser.add_argument("--think", type=float, default=10.0)
    parser.add_argument("--mix", choices=["employee", "hr", "mixed"], default="employee")
    parser.add_argument("--write-percent", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--employees", type=int, default=10_000)
    args = parser.parse_args()
    levels = [int(n) for n in args.users.split(",")]
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)
    if limit[0] < max(levels) + 1000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit[1], limit[1]))

    with scratch_database(None, "shre_users") as database_url, tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        redis = Redis(cwd)
        # Tokens that outlast a long run (10 minutes for RSS, a curve of several).
        env = server_env(database_url, redis, REDIS_ENABLED="true")
        env["ACCESS_TOKEN_TTL_SECONDS"] = "7200"
        server = None
        try:
            shre(env, cwd, "migrate")
            demo: Demo
            demo, seconds = seed(env, cwd, args.employees)
            print(f"seeded {args.employees} employees in {seconds:.0f} s", flush=True)
            redis.start()
            port = free_port()
            server = serve(env, cwd, port, args.workers)
            url = f"http://127.0.0.1:{port}"
            pids = worker_pids(server.pid)
            roles: list[tuple[str, list[str], list[str]]] = []  # (token, reads, writes)
            if args.mix == "employee":
                token = login(url, demo.email("employee"), demo.password("employee"))
                roles.append((token, employee_reads(url, token), []))
            else:
                hr = login(url, demo.email("hr"), demo.password("hr"))
                reads, writes = mix(url, hr)
                roles.append((hr, reads, writes))
                if args.mix == "mixed":  # a manager and an employee beside hr, no writes
                    theirs = [p for p in reads if not p.startswith("/api/v1/documents/")]
                    for role in ("manager", "employee"):
                        token = login(url, demo.email(role), demo.password(role))
                        roles.append((token, theirs, []))
            picks = [
                requests_of("127.0.0.1", port, reads, token, writes, args.write_percent)
                for token, reads, writes in roles
            ]
            with httpx.Client(base_url=url, timeout=30) as warm:  # every read once
                for token, reads, _ in roles:
                    for path in reads:
                        warm.get(path, headers={"Authorization": f"Bearer {token}"})
            print(
                f"{args.workers} workers, {args.mix} mix, think {args.think} s, "
                f"arrivals over {args.ramp} s, {args.duration} s per run",
                flush=True,
            )
            results = []
            for users in levels:
                before = server_histogram(url)
                result = uvloop.run(drive("127.0.0.1", port, picks, users, args, pids))
                after = server_histogram(url)
                result["server_p50"] = histogram_quantile(before, after, 0.5)
                result["server_p99"] = histogram_quantile(before, after, 0.99)
                report(result)
                results.append(result)
                time.sleep(3)  # the last connections closed before the next level
            if len(results) > 1:
                print("users -> p50 / p99 ms, errors:")
                for r in results:
                    print(f"  {r['users']:>6}: {r['p50']:.1f} / {r['p99']:.1f}, {r['errors']}")
        finally:
            stop(server, redis)


if __name__ == "__main__":
    main()
