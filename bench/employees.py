"""Employees at scale: seed time, list latency, decryption cost, key rotation speed.

    python -m bench.employees [--employees 100000] [--database-url URL] [--runs 5]
                              [--seeded] [--no-rotate]

Needs PostgreSQL for the headline numbers (default: a fresh database `shre_bench_<pid>`
on 127.0.0.1:5432, dropped afterwards). `--seeded --database-url URL` measures a database
`shre seed-demo` filled earlier (ENCRYPTION_KEY from the environment) without seeding.
Prints one line per measurement; each latency is the median over --runs runs of
--requests sequential requests (p50 and p95 per run).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.demo import demo_of, scratch_database, seed
from bench.load import serve
from bench.me_latency import free_port

SCENARIOS = [
    ("list page 50, default sort", "/api/v1/employees?page_size=50"),
    ("list page 50, page 200", "/api/v1/employees?page_size=50&page=200"),
    ("list sort -hire_date", "/api/v1/employees?page_size=50&sort=-hire_date"),
    ("list filter status=terminated", "/api/v1/employees?page_size=50&status=terminated"),
    ("list q=fischer", "/api/v1/employees?page_size=50&q=fischer"),
    ("list q=an (matches ~half)", "/api/v1/employees?page_size=50&q=an"),
    ("list q=fischer, page 20", "/api/v1/employees?page_size=50&q=fischer&page=20"),
    ("search ssn (blind index)", "/api/v1/employees?ssn={ssn}"),
    ("list page 500 (hr: decrypts)", "/api/v1/employees?page_size=500"),
]


def shre(env: dict[str, str], cwd: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "shre", *args], env=env, cwd=cwd, check=True, capture_output=True
    )
    return time.perf_counter() - started


async def latency(
    url: str, headers: dict[str, str], path: str, requests: int
) -> tuple[float, float]:
    samples = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        for _ in range(3):
            (await client.get(path)).raise_for_status()
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get(path)
            samples.append(time.perf_counter() - started)
            response.raise_for_status()
    samples.sort()
    return samples[len(samples) // 2] * 1000, samples[int(len(samples) * 0.95)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seeded", action="store_true", help="the database is seeded already")
    parser.add_argument(
        "--seed-output", default=None, help="with --seeded: what seed-demo printed (sign-ins)"
    )
    parser.add_argument("--no-rotate", action="store_true", help="skip the key rotation")
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
            "LOG_LEVEL": "WARNING",
        }
        shre(env, cwd, "migrate")
        if args.seeded:
            demo = demo_of(args.seed_output)
        else:
            demo, seconds = seed(env, cwd, args.employees)
            print(
                f"seed-demo {args.employees} employees: {seconds:.1f} s "
                f"({args.employees / seconds:.0f} employees/s)"
            )
        port = free_port()
        server = serve(env, cwd, port, workers=1)
        url = f"http://127.0.0.1:{port}"
        try:
            tokens = {}
            for role in ("hr", "manager"):
                login = httpx.post(
                    url + "/api/v1/auth/login",
                    json={"email": demo.email(role), "password": demo.password(role)},
                )
                login.raise_for_status()
                tokens[role] = {"Authorization": f"Bearer {login.json()['access_token']}"}
            hr = tokens["hr"]
            # Lists carry no sensitive field unless asked (data minimisation).
            listed = httpx.get(url + "/api/v1/employees?page_size=1&fields=ssn", headers=hr)
            first = listed.json()["items"][0]
            print(
                f"GET latency, {args.runs} runs x {args.requests} sequential requests, "
                "median of runs:"
            )
            for label, path in SCENARIOS:
                path = path.format(ssn=first["ssn"])
                runs = [
                    asyncio.run(latency(url, hr, path, args.requests)) for _ in range(args.runs)
                ]
                p50 = statistics.median(r[0] for r in runs)
                p95 = statistics.median(r[1] for r in runs)
                print(f"  {label:<34} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
            page = "/api/v1/employees?page_size=500"
            runs = [
                asyncio.run(latency(url, tokens["manager"], page, args.requests))
                for _ in range(args.runs)
            ]
            print(
                f"  {'list page 500 (manager: no decrypt)':<34} p50 "
                f"{statistics.median(r[0] for r in runs):7.1f} ms"
            )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if args.no_rotate:
            return
        rotated = {
            **env,
            "ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "ENCRYPTION_OLD_KEYS": key,
        }
        seconds = shre(rotated, cwd, "keys", "rotate", "--batch-size", "1000")
        print(
            f"keys rotate {args.employees} employees: {seconds:.1f} s "
            f"({args.employees / seconds:.0f} rows/s, including process start)"
        )


if __name__ == "__main__":
    main()
