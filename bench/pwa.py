"""The phone app (issue 18) in a real browser: headless Debian chromium in mobile
emulation (375 x 812, touch), against a real server over loopback, on PostgreSQL with N
employees (default 12,500: a directory of about 10,000 people):

    python -m bench.pwa [--employees 12500] [--runs 5] [--database-url URL --seeded
                         --seed-output FILE]

- Directory sync: the whole staff directory into IndexedDB after sign-in (the first,
  full sync). Two figures: the sync itself (the app's own User Timing measure
  "shre:directory-sync", from its first request to its last write) and from opening
  /directory, signed in already (the refresh cookie present), to "Available offline:
  N people" on screen. Budget 10 s.
- Offline search, with the network off: the search itself over the copy in memory (the
  app's measure "shre:directory-search", median of 8 queries per run), and from the
  keystroke to the matching rows rendered (the app's measure "shre:directory-shown").
  Budget 50 ms. The copy's one-off load into memory
  ("shre:directory-load") is reported beside it.
- Offline start from a warm install (the service worker installed, the copy saved):
  from navigating to / with the network off to the directory's rows on screen. Budget
  1 s.

Each figure is the median over --runs runs (each in a fresh browser context, so each
sync is a full one), with the spread. The server runs as development (the refresh
cookie is not Secure over plain http), one worker, no Redis: what `make run` serves.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

from bench.demo import Demo
from bench.load import login
from bench.web import ARGS, CHROMIUM, add_server_arguments, served, signed_in, summary

PHONE: Any = {"width": 375, "height": 812}
QUERIES = ["müller", "anna", "sales", "kaur nadia", "berlin", "vice president", "ito", "zz"]
ROWS = "() => document.querySelectorAll('ul[aria-label=\"People\"] li').length > 0"
SAVED = (
    "(count) => document.querySelector('[data-testid=\"sync-line\"]')?.textContent"
    "?.includes(`Available offline: ${count} people`) === true"
)


def measures(page: Page, name: str) -> list[float]:
    return list(
        page.evaluate("(name) => performance.getEntriesByName(name).map((e) => e.duration)", name)
    )


def one_run(browser: Browser, url: str, demo: Demo, people: int) -> dict[str, Any]:
    context = signed_in(
        browser, url, demo, "employee", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url + "/directory", wait_until="commit")
    page.wait_for_function(SAVED, arg=people, polling="raf", timeout=120_000)
    to_saved = (time.perf_counter() - started) * 1000
    sync = measures(page, "shre:directory-sync")[-1]
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")

    page.context.set_offline(True)
    box = page.get_by_role("searchbox", name="Search the directory")
    typed = []
    for query in QUERIES:
        before = len(measures(page, "shre:directory-shown"))
        started = time.perf_counter()
        box.fill(query)
        page.wait_for_function(
            "(n) => performance.getEntriesByName('shre:directory-shown').length > n",
            arg=before,
            polling="raf",
        )
        typed.append((time.perf_counter() - started) * 1000)
    searches = measures(page, "shre:directory-search")[-len(QUERIES) :]
    shown = measures(page, "shre:directory-shown")[-len(QUERIES) :]
    load = measures(page, "shre:directory-load")[-1]

    started = time.perf_counter()
    page.goto(url + "/", wait_until="commit")
    page.wait_for_function(ROWS, polling="raf", timeout=30_000)
    offline_start = (time.perf_counter() - started) * 1000
    in_page = float(page.evaluate("() => performance.now()"))
    if page.get_by_text("Offline", exact=True).count() == 0:
        raise SystemExit("the offline start did not show the offline app")
    context.close()
    return {
        "sync": sync,
        "to_saved": to_saved,
        "search": statistics.median(searches),
        "search_max": max(searches),
        "shown": statistics.median(shown),
        "typed": statistics.median(typed),
        "load": load,
        "offline_start": offline_start,
        "offline_start_in_page": in_page,
    }


def directory_size(url: str, demo: Demo) -> int:
    token = login(url, demo.email("employee"), demo.password("employee"))
    headers = {"Authorization": f"Bearer {token}"}
    total, since = 0, None
    while True:
        params = {"limit": 1000, **({"since": since} if since else {})}
        page = httpx.get(url + "/api/v1/directory", params=params, headers=headers).json()
        total += len(page["items"])
        since = page["cursor"]
        if page["complete"]:
            return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # seed-demo's history leaves about four in five still employed: 12,500 make a
    # directory of about 10,000.
    add_server_arguments(parser, employees=12_500)
    args = parser.parse_args()
    with served(args, "shre_bench_pwa") as (url, demo):
        people = directory_size(url, demo)
        print(f"directory: {people:,} people (everyone not terminated)")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            runs = [one_run(browser, url, demo, people) for _ in range(args.runs)]
            browser.close()

    def column(key: str) -> list[float]:
        return [run[key] for run in runs]

    print(summary(f"directory sync of {people:,} (the sync)", column("sync"), "ms", 10_000))
    print(
        summary(
            f"directory sync of {people:,} (opening /directory to saved)",
            column("to_saved"),
            "ms",
            10_000,
        )
    )
    print(summary("offline search (the search, median of 8)", column("search"), "ms", 50))
    print(f"  slowest single search: {max(column('search_max')):.1f} ms")
    print(summary("offline search (keystroke to rows rendered)", column("shown"), "ms", 50))
    print(
        f"  the same seen from the test driver (CDP round trips included): median "
        f"{statistics.median(column('typed')):.0f} ms"
    )
    load = statistics.median(column("load"))
    print(f"  the copy's load into memory, once: median {load:.0f} ms")
    print(summary("offline start, warm install", column("offline_start"), "ms", 1000))
    print(
        f"  the same in the page (navigation start to rows): median "
        f"{statistics.median(column('offline_start_in_page')):.0f} ms"
    )


if __name__ == "__main__":
    main()
