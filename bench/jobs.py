"""The background jobs: how many uploads a worker processes per second (text extraction,
the search index, the expiry date, and with --ai the classifier), and one two-page PDF
classified end to end.

    python -m bench.jobs [--documents 120] [--concurrency 1,2] [--runs 3] [--ai]

Needs PostgreSQL on 127.0.0.1:5432 (TEST_POSTGRES_URL). Makes a scratch database, and per
run: uploads --documents two-page PDFs (distinct words; as hr would, through the API in
this process) with no worker running, then times one worker of this process (procrastinate,
`--concurrency` jobs at a time) until every job is done: jobs/s of each run, and the
median. With --ai (the `ai` extra): first the classifier's cold load, then one two-page
PDF end to end (extraction + embedding + prediction), median of 10 warm runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from tests.support.accounts import Accounts
from tests.support.app import base_settings
from tests.support.database import empty_tables, own_database
from tests.support.documents import DOCS, pdf_with_pages

from shre import migrate
from shre.app import create_app
from shre.documents.extract import extract_text
from shre.jobs import run_worker
from shre.policy import Role

PDF = "application/pdf"
PAGES = (
    [
        "Employment contract between Northwind Logistics GmbH and the employee",
        "Start date: 1 March 2026. Probation period: six months.",
        "Salary: as agreed in the offer letter, paid monthly in arrears.",
        "Working time: 40 hours a week; 28 days of paid holiday a year.",
    ],
    [
        "Notice period: three months to the end of a calendar month.",
        "Confidentiality: the employee keeps business secrets during and after employment.",
        "This contract is governed by German law. Signed in Hamburg.",
        "Valid until 28 February 2028 unless extended in writing.",
    ],
)


def document(n: int) -> bytes:
    word = f"marker{n:05d}"
    return pdf_with_pages([*PAGES[0], word], list(PAGES[1]))


async def one_run(documents: int, concurrency: int, ai: bool, url: str, tmp: Path) -> float:
    settings = base_settings(tmp, url, shre_ai=ai, log_level="ERROR")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        await empty_tables(runtime)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            hr = await Accounts(runtime, client).signed_in(Role.HR, "hr@bench.example")
            for n in range(documents):
                answer = await client.post(
                    DOCS,
                    data={"category": "contract"},
                    files={"file": (f"contract-{n}.pdf", document(n), PDF)},
                    headers=hr.headers,
                )
                answer.raise_for_status()
        waiting = await runtime.queue.depth()
        if waiting != documents:
            raise SystemExit(f"{waiting} jobs waiting, not {documents}")
        started = time.perf_counter()
        await run_worker(runtime, concurrency=concurrency, wait=False, signals=False)
        elapsed = time.perf_counter() - started
        left = await runtime.queue.jobs(limit=10)
        if left:
            raise SystemExit(f"jobs left after the worker: {left}")
    return documents / elapsed


def end_to_end() -> None:
    from shre.intelligence import get_classifier

    started = time.perf_counter()
    classifier = get_classifier()
    classifier.predict("warm up")
    print(f"classifier cold load: {time.perf_counter() - started:.1f} s")
    data = document(0)
    times = []
    for _ in range(10):
        started = time.perf_counter()
        text = asyncio.run(extract_text(data, PDF))
        suggestion = classifier.predict(text)
        times.append(time.perf_counter() - started)
    print(
        f"one two-page PDF end to end (extraction + embedding + prediction): median "
        f"{statistics.median(times) * 1000:.0f} ms of 10 (min {min(times) * 1000:.0f}, "
        f"max {max(times) * 1000:.0f}); suggested {suggestion.category} "
        f"({suggestion.confidence:.2f}), expires {suggestion.expires_on}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=120)
    parser.add_argument("--concurrency", default="1,2")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ai", action="store_true", help="classify too (the `ai` extra)")
    args = parser.parse_args()
    if args.ai:
        await asyncio.to_thread(end_to_end)
    async with own_database("shre_bench_jobs") as url:
        with tempfile.TemporaryDirectory() as scratch:
            tmp = Path(scratch)
            await migrate.upgrade(base_settings(tmp, url))
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                rates = []
                for run in range(args.runs):
                    rate = await one_run(
                        args.documents, concurrency, args.ai, url, tmp / f"{concurrency}-{run}"
                    )
                    rates.append(rate)
                    print(f"concurrency {concurrency}, run {run + 1}: {rate:.1f} jobs/s")
                print(
                    f"concurrency {concurrency}: median {statistics.median(rates):.1f} jobs/s "
                    f"({args.documents} uploads each, AI {'on' if args.ai else 'off'})"
                )


if __name__ == "__main__":
    asyncio.run(main())
