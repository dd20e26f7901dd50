"""The web app in a real browser (headless Debian chromium, Playwright), against a real
server over loopback, on PostgreSQL with N employees (default 100,000):

    python -m bench.web [--employees 100000] [--runs 5] [--database-url URL --seeded
                         --seed-output FILE]

- JavaScript the sign-in page loads: bytes on the wire (the server's precompressed
  copies) and the same files gzipped (gzip -9), summed; the budget is 300 KB gzipped.
- The dashboard's first load with a cold browser cache: from navigation to the page
  settled (no skeleton or loader left), signed in already (the refresh cookie present,
  as after a browser restart): budget 1.5 s.
- The employee list at N employees, as hr: a search (from the words typed, as one input
  event, to the matching rows shown: the list's 150 ms debounce, the request, rendering)
  and the next page (from the click to the new rows): budget 200 ms each.

Each figure is the median over --runs runs (each in a fresh browser context), with the
spread. The server runs as development (the refresh cookie is not Secure over plain
http), one worker, no Redis: what `make run` serves.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from bench.demo import Demo, demo_of, scratch_database, seed
from bench.load import serve
from bench.me_latency import free_port

CHROMIUM = os.environ.get("SHRE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Nothing left loading: no loader with the name "Loading", no visible skeleton, no data
# table fetching overlay.
SETTLED = """() =>
  document.querySelector('#root') !== null
  && document.querySelectorAll('[role="status"][aria-label="Loading"]').length === 0
  && [...document.querySelectorAll('.mantine-Skeleton-root')]
       .every((e) => e.getAttribute('data-visible') !== 'true')
  && document.querySelectorAll(".mantine-datatable-loader-fetching").length === 0
  && document.querySelector('main, #main') !== null
"""


def summary(name: str, samples: list[float], unit: str, budget: float) -> str:
    median = statistics.median(samples)
    verdict = "within" if median <= budget else "OVER"
    return (
        f"{name}: median {median:.0f} {unit} (min {min(samples):.0f}, max {max(samples):.0f}, "
        f"{len(samples)} runs) — budget {budget:.0f} {unit}: {verdict}"
    )


def login_javascript(browser: Browser, url: str) -> tuple[float, float]:
    """KB of JavaScript the sign-in page loads: on the wire, and gzipped (-9)."""
    context = browser.new_context()
    page = context.new_page()
    scripts: list[str] = []
    page.on(
        "response",
        lambda r: scripts.append(r.url) if r.request.resource_type == "script" else None,
    )
    page.goto(url + "/login")
    page.wait_for_load_state("networkidle")
    wire = gzipped = 0
    with httpx.Client() as client:
        for script in scripts:
            packed = client.get(script, headers={"Accept-Encoding": "br, gzip"})
            wire += len(packed.content if packed.headers.get("content-encoding") else b"") or 0
            raw = client.get(script, headers={"Accept-Encoding": "identity"}).content
            wire += 0 if packed.headers.get("content-encoding") else len(raw)
            gzipped += len(gzip.compress(raw, compresslevel=9))
    context.close()
    return wire / 1024, gzipped / 1024


def refresh_cookie(url: str, demo: Demo, role: str) -> dict[str, str]:
    login = httpx.post(
        url + "/api/v1/auth/login",
        json={"email": demo.email(role), "password": demo.password(role)},
    )
    login.raise_for_status()
    return {"name": "shre_refresh", "value": login.cookies["shre_refresh"], "url": url}


def signed_in(browser: Browser, url: str, demo: Demo, role: str, **options: Any) -> BrowserContext:
    """A fresh browser context holding `role`'s refresh cookie: the app opens signed in,
    as after a browser restart."""
    context = browser.new_context(**options)
    cookie = refresh_cookie(url, demo, role)
    context.add_cookies([{**cookie, "url": url + "/api/v1/auth"}])  # type: ignore[typeddict-item]
    return context


def timed(page: Page, action: Callable[[], None], done: str, arg: object = None) -> float:
    started = time.perf_counter()
    action()
    page.wait_for_function(done, arg=arg, polling="raf", timeout=30_000)
    return (time.perf_counter() - started) * 1000


def cold_dashboard(browser: Browser, url: str, demo: Demo, role: str) -> float:
    context = signed_in(browser, url, demo, role, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    elapsed = timed(page, lambda: page.goto(url + "/", wait_until="commit"), SETTLED)
    heading = page.get_by_role("heading", level=1).first.inner_text()
    context.close()
    if "Sign in" in heading:
        raise SystemExit("the dashboard did not open: the refresh cookie was not accepted")
    return elapsed


def first_row() -> str:
    return "() => document.querySelector('table tbody tr')?.textContent ?? ''"


def list_interactions(browser: Browser, url: str, demo: Demo) -> tuple[float, float]:
    """ms from typing a search to its rows, and from "next page" to its rows (as hr)."""
    context = signed_in(browser, url, demo, "hr", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url + "/employees")
    page.wait_for_function(SETTLED + " && document.querySelectorAll('tbody tr').length > 1")
    before = page.evaluate(first_row())
    changed = (
        "([before]) => { const row = document.querySelector('table tbody tr');"
        " return row !== null && row.textContent !== before"
        " && (" + SETTLED + ")(); }"
    )
    search = timed(
        page,
        lambda: page.get_by_role("searchbox", name="Search").fill("fischer"),
        changed,
        [before],
    )
    before = page.evaluate(first_row())
    following = timed(
        page,
        lambda: page.get_by_role("button", name="2", exact=True).click(),
        changed,
        [before],
    )
    context.close()
    return search, following


def add_server_arguments(parser: argparse.ArgumentParser, employees: int) -> None:
    parser.add_argument("--employees", type=int, default=employees)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seeded", action="store_true", help="the database is seeded already")
    parser.add_argument("--seed-output", default=None, help="with --seeded: seed-demo's output")


@contextmanager
def served(args: argparse.Namespace, prefix: str) -> Iterator[tuple[str, Demo]]:
    """What a browser benchmark runs against: a scratch PostgreSQL database (or
    --database-url), migrated and seeded by `shre seed-demo`, and `shre serve` as
    `make run` serves it (development, one worker, no Redis). Yields its URL and the
    demo sign-ins; drops the scratch database afterwards."""
    if args.seeded and args.database_url is None:
        raise SystemExit("--seeded needs --database-url")
    if not (Path(__file__).parents[1] / "src/shre/web/dist/index.html").exists():
        raise SystemExit("build the web app first: make web")
    with (
        scratch_database(args.database_url, prefix) as database_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        cwd = Path(tmp)
        env = {
            **os.environ,
            "SHRE_ENV": "development",
            "DATABASE_URL": database_url,
            "SHRE_VAR_DIR": str(cwd / "var"),
            "UPLOAD_DIR": str(cwd / "uploads"),
            "LOG_LEVEL": "WARNING",
        }
        server = None
        try:
            subprocess.run([sys.executable, "-m", "shre", "migrate"], env=env, cwd=cwd, check=True)
            if args.seeded:
                demo = demo_of(args.seed_output)
            else:
                demo, seconds = seed(env, cwd, args.employees)
                print(f"seed-demo {args.employees} employees: {seconds:.0f} s")
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            server = serve(env, cwd, port, workers=1)
            yield url, demo
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_server_arguments(parser, employees=100_000)
    args = parser.parse_args()
    with served(args, "shre_bench_web") as (url, demo), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        wire, gzipped = login_javascript(browser, url)
        print(
            f"JavaScript of the sign-in page: {wire:.0f} KB on the wire, "
            f"{gzipped:.0f} KB gzipped (-9) — budget 300 KB gzipped: "
            f"{'within' if gzipped <= 300 else 'OVER'}"
        )
        for role in ("admin", "hr", "employee"):
            runs = [cold_dashboard(browser, url, demo, role) for _ in range(args.runs)]
            print(summary(f"dashboard first load, cold cache, {role}", runs, "ms", 1500))
        searches, pages = [], []
        for _ in range(args.runs):
            search, following = list_interactions(browser, url, demo)
            searches.append(search)
            pages.append(following)
        print(summary(f"employee list search at {args.employees:,}", searches, "ms", 200))
        print(summary(f"employee list next page at {args.employees:,}", pages, "ms", 200))
        browser.close()


if __name__ == "__main__":
    main()
