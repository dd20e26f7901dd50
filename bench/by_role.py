"""The cached default list page (`GET /api/v1/employees`) read by hr, a manager and an
employee in turn (`python -m bench --list-page-by-role`): req/s and p50/p99 latency per
role, --runs rounds of --duration seconds each, roles alternating within a round and
each round starting with the next role (a shared machine's slow phases then hit each
alike), and the medians. Data minimisation
(CONTRACT.md §4) should make hr's default page cost what the employee's does: the same
page written once, no decryption, no audit event; hr/employee per round is the figure to
compare, as raw figures move with the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import httpx

from bench.demo import Demo
from bench.load import free_port, login, plain_wrk, serve

PATH = "/api/v1/employees"
ROLES = ("hr", "manager", "employee")


def list_page_by_role(env: dict[str, str], cwd: Path, args: argparse.Namespace) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = serve(env, cwd, port, args.workers)
    demo: Demo = args.demo
    accounts = {role: (demo.email(role), demo.password(role)) for role in ROLES}
    runs: dict[str, list[tuple[float, float, float]]] = {role: [] for role in ROLES}
    sizes: dict[str, int] = {}
    try:
        for email, password in accounts.values():
            # Warm-up: the page cached, each account's entry cached, connections open.
            token = login(url, email, password)
            page = httpx.get(url + PATH, headers={"Authorization": f"Bearer {token}"})
            page.raise_for_status()
            sizes[email] = len(page.content)
            plain_wrk(url + PATH, {"Authorization": f"Bearer {token}"}, args.connections, 3)
        for n in range(1, args.runs + 1):
            line = []
            # Each run starts with another role: none always runs first, after a pause.
            order = list(ROLES)[n % len(ROLES) :] + list(ROLES)[: n % len(ROLES)]
            for role in order:
                email, password = accounts[role]
                # A fresh token each run: access tokens live 15 minutes.
                headers = {"Authorization": f"Bearer {login(url, email, password)}"}
                runs[role].append(plain_wrk(url + PATH, headers, args.connections, args.duration))
                rps, p50, p99 = runs[role][-1]
                line.append(f"{role} {rps:6.0f} req/s p50 {p50:5.2f} ms p99 {p99:6.2f} ms")
            ratio = runs["hr"][-1][0] / runs["employee"][-1][0]
            print(f"  run {n}: " + "; ".join(line) + f"; hr/employee {ratio:.1%}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"MEDIAN cached default list page (c={args.connections}, {args.workers} workers, "
        f"{args.runs} runs of {args.duration} s):",
        flush=True,
    )
    for role, measured in runs.items():
        rps = statistics.median(r for r, _, _ in measured)
        p50 = statistics.median(p for _, p, _ in measured)
        p99 = statistics.median(p for _, _, p in measured)
        size = sizes[accounts[role][0]]
        print(
            f"  {role:<9} {rps:7.0f} req/s  p50 {p50:5.2f} ms  p99 {p99:6.2f} ms  "
            f"({size} bytes a page)",
            flush=True,
        )
    ratios = [h[0] / e[0] for h, e in zip(runs["hr"], runs["employee"], strict=True)]
    print(
        f"  hr/employee req/s: median {statistics.median(ratios):.1%} (runs: "
        + ", ".join(f"{r:.1%}" for r in ratios)
        + ")",
        flush=True,
    )
