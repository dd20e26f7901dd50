"""Analytics at scale: every `/api/v1/analytics/*` endpoint, cold (the cache flushed
before each request) and cached, on PostgreSQL with Redis.

    python -m bench.analytics [--employees 100000] [--runs 5] [--requests 20]
                              [--database-url URL --seeded --seed-output FILE]

Default: a fresh database `shre_bench_<pid>` on 127.0.0.1:5432 (dropped afterwards),
seeded by `shre seed-demo` (its three years of hires, moves, raises and leavers), plus
document rows (contracts, identity documents and certificates with expiry dates; rows
only, no files: the compliance report reads only the rows). One `shre serve` worker in
production mode on Redis (127.0.0.1:6379). Cold: `DELETE /api/v1/admin/cache` before
each timed request (not timed), so the request computes from the database (and loads its
caller again). Cached: the same request repeated. Each figure is the median over --runs
runs of the p50 (and p95) of --requests requests. Pay bands are measured two more
ways: with no sealed pay cell (every salary opened one by one: the design's "trap"), and
after one raise (one cell rebuilt). Last, what keeping the headcount ledger costs a
write: a department move (counted in the ledger) against a job title change (not).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import secrets
import signal
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.demo import demo_of, scratch_database, seed
from bench.employees import shre
from bench.load import serve
from bench.me_latency import free_port
from shre.analytics.periods import Month

ENDPOINTS = [
    ("headcount, 12 months", "/api/v1/analytics/headcount"),
    ("headcount, 36 months", "/api/v1/analytics/headcount?from={from36}"),
    ("headcount, one department", "/api/v1/analytics/headcount?department_id={department}"),
    ("turnover, 12 months", "/api/v1/analytics/turnover"),
    ("tenure", "/api/v1/analytics/tenure"),
    ("salary bands by job title", "/api/v1/analytics/salary-bands"),
    ("salary bands by department", "/api/v1/analytics/salary-bands?group_by=department"),
    ("document compliance", "/api/v1/analytics/documents"),
]


async def add_documents(database_url: str, seed_value: int = 7) -> int:
    """Document rows for the compliance report: a contract for 90% of employees, an
    identity document for 75% (expiring from 60 days ago to 5 years ahead), a
    certificate for 30% (expiring within two years)."""
    from shre.documents.models import Document
    from shre.employees.models import Employee

    rng = random.Random(seed_value)  # noqa: S311 - benchmark data
    today = date.today()
    engine = create_async_engine(database_url)
    rows = []
    async with engine.begin() as conn:
        ids = list((await conn.execute(select(Employee.id))).scalars())
        for employee in ids:
            kinds = []
            if rng.random() < 0.9:
                kinds.append(("contract", None))
            if rng.random() < 0.75:
                kinds.append(("identity", today + timedelta(days=rng.randrange(-60, 5 * 365))))
            if rng.random() < 0.3:
                kinds.append(("certificate", today + timedelta(days=rng.randrange(0, 730))))
            for category, expires in kinds:
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "employee_id": employee,
                        "title": category.title(),
                        "category": category,
                        "tags": [],
                        "expires_on": expires,
                        "filename": f"{category}.pdf",
                        "content_type": "application/pdf",
                        "size": 1000,
                        "sha256": "0" * 64,
                    }
                )
        for start in range(0, len(rows), 5000):
            await conn.execute(insert(Document), rows[start : start + 5000])
    async with engine.connect() as conn:
        # What autovacuum does after a bulk insert: statistics and the visibility map
        # (index-only scans), as seed-demo does for the employees.
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE documents"))
    await engine.dispose()
    return len(rows)


async def timed(
    url: str,
    headers: dict[str, str],
    path: str,
    requests: int,
    before: Callable[[httpx.AsyncClient], object] | None = None,
    send: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]] | None = None,
) -> tuple[float, float]:
    """p50 and p95 of `requests` GETs of `path` (or of what `send` sends), after one
    untimed."""
    samples = []
    request = send or (lambda client: client.get(path))
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        (await request(client)).raise_for_status()
        for _ in range(requests):
            if before is not None:
                await before(client)  # type: ignore[misc]
            started = time.perf_counter()
            response = await request(client)
            samples.append(time.perf_counter() - started)
            response.raise_for_status()
    samples.sort()
    return samples[len(samples) // 2] * 1000, samples[int(len(samples) * 0.95)] * 1000


def report(label: str, runs: list[tuple[float, float]]) -> None:
    p50 = statistics.median(r[0] for r in runs)
    p95 = statistics.median(r[1] for r in runs)
    print(f"  {label:<44} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seeded", action="store_true", help="the database is seeded already")
    parser.add_argument("--seed-output", default=None, help="with --seeded: seed-demo's output")
    args = parser.parse_args()

    if args.seeded and args.database_url is None:
        parser.error("--seeded needs --database-url")
    key = (
        os.environ["ENCRYPTION_KEY"]
        if args.seeded
        else base64.b64encode(secrets.token_bytes(32)).decode()
    )
    with (
        scratch_database(args.database_url, "shre_bench") as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        cwd = Path(tmp)
        env = {
            **os.environ,
            "SHRE_ENV": "production",
            "DATABASE_URL": database_url,
            "ENCRYPTION_KEY": key,
            "JWT_SECRET": secrets.token_urlsafe(48),
            "REDIS_ENABLED": "true",
            "LOG_LEVEL": "WARNING",
        }
        shre(env, cwd, "migrate")
        if args.seeded:
            demo = demo_of(args.seed_output)
        else:
            demo, seconds = seed(env, cwd, args.employees)
            print(f"seed-demo {args.employees} employees: {seconds:.1f} s", flush=True)
            documents = asyncio.run(add_documents(database_url))
            print(f"document rows: {documents}", flush=True)
        port = free_port()
        server = serve(env, cwd, port, workers=1)
        url = f"http://127.0.0.1:{port}"
        try:
            measure(url, demo, database_url, args)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def measure(url: str, demo: object, database_url: str, args: argparse.Namespace) -> None:
    headers = {}
    for role in ("admin", "manager"):
        login = httpx.post(
            url + "/api/v1/auth/login",
            json={"email": demo.email(role), "password": demo.password(role)},  # type: ignore[attr-defined]
        )
        login.raise_for_status()
        headers[role] = {"Authorization": f"Bearer {login.json()['access_token']}"}
    admin = headers["admin"]
    departments = httpx.get(url + "/api/v1/departments?q=Platform", headers=admin).json()
    values = {
        "from36": str(Month.of(date.today()).plus(-35)),
        "department": departments["items"][0]["id"],
    }

    async def flush(client: httpx.AsyncClient) -> None:
        (await client.delete("/api/v1/admin/cache")).raise_for_status()

    print(
        f"analytics latency, {args.runs} runs x {args.requests} sequential requests, "
        "median of runs:",
        flush=True,
    )
    for label, template in ENDPOINTS:
        path = template.format(**values)
        cold = [
            asyncio.run(timed(url, admin, path, args.requests, flush)) for _ in range(args.runs)
        ]
        report(f"{label} (cold)", cold)
        warm = [asyncio.run(timed(url, admin, path, args.requests)) for _ in range(args.runs)]
        report(f"{label} (cached)", warm)
    for label, template in ENDPOINTS[:5] + ENDPOINTS[7:]:
        path = template.format(**values)
        runs = [
            asyncio.run(timed(url, headers["manager"], path, args.requests))
            for _ in range(args.runs)
        ]
        report(f"{label} (manager, never cached)", runs)

    bands = "/api/v1/analytics/salary-bands"
    engine_url = database_url

    async def no_cells(client: httpx.AsyncClient) -> None:
        engine = create_async_engine(engine_url)
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM pay_cells"))
        await engine.dispose()
        await flush(client)

    rebuilt = [asyncio.run(timed(url, admin, bands, 3, no_cells)) for _ in range(args.runs)]
    report("salary bands, no pay cell (every salary opened)", rebuilt)
    person = httpx.get(url + "/api/v1/employees?page_size=1&status=active", headers=admin).json()
    target = person["items"][0]["id"]
    amounts = iter(range(10**6))

    async def raise_one(client: httpx.AsyncClient) -> None:
        salary = f"{50_000 + next(amounts)}.00"
        response = await client.patch(f"/api/v1/employees/{target}", json={"salary": salary})
        response.raise_for_status()

    after = [
        asyncio.run(timed(url, admin, bands, args.requests, raise_one)) for _ in range(args.runs)
    ]
    report("salary bands after one raise (one cell rebuilt)", after)

    # What keeping the headcount ledger costs a write: a department move (counted before
    # and after, the difference added) against a job title change (not counted).
    print("writes, PATCH of one employee:", flush=True)
    listed = httpx.get(url + "/api/v1/departments?page_size=100", headers=admin).json()
    units = [d["id"] for d in listed["items"]]
    places = iter(units * 10_000)
    titles = iter(range(10**6))
    patch = f"/api/v1/employees/{target}"

    def move(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.patch(patch, json={"department_id": next(places)})

    def retitle(client: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return client.patch(patch, json={"job_title": f"Analyst {next(titles)}"})

    for label, send in (
        ("department move (headcount ledger kept)", move),
        ("job title change (no ledger entry)", retitle),
    ):
        runs = [
            asyncio.run(timed(url, admin, patch, args.requests, send=send))
            for _ in range(args.runs)
        ]
        report(label, runs)


if __name__ == "__main__":
    main()
