"""Search by meaning at N documents: the latency of `GET /documents?semantic=TEXT`.

    python -m bench.semantic [--documents 10000] [--queries 20]

Needs PostgreSQL on 127.0.0.1:5432 and the `ai` extra. Makes a scratch database with
--documents company documents (category `policy`) and an embedding each, written as the
processing job writes them (random unit vectors: the ranking's cost does not depend on
what the vectors say), then asks --queries searches as hr through the API in this process
(after one to load the model) and prints the median, p90 and max latency, with the time
of the query's embedding alone for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import insert
from tests.support.accounts import Accounts
from tests.support.app import base_settings
from tests.support.database import empty_tables, own_database
from tests.support.documents import DOCS

from shre import migrate
from shre.app import create_app
from shre.documents.models import Document, DocumentVector
from shre.intelligence.classifier import EMBEDDING_MODEL, embed_query
from shre.policy import Role

QUERIES = [
    "may I work from home",
    "what happens when I am ill",
    "travel expenses abroad",
    "notice period for resignation",
    "company car rules",
]


async def fill(runtime: object, documents: int) -> None:
    rng = np.random.default_rng(7)
    sessionmaker = runtime.sessionmaker  # type: ignore[attr-defined]
    for start in range(0, documents, 1000):
        count = min(1000, documents - start)
        ids = [uuid.uuid4() for _ in range(count)]
        vectors = rng.standard_normal((count, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        async with sessionmaker() as session, session.begin():
            await session.execute(
                insert(Document),
                [
                    {
                        "id": i,
                        "title": f"Policy {start + n}",
                        "category": "policy",
                        "tags": [],
                        "filename": f"policy-{start + n}.txt",
                        "content_type": "text/plain",
                        "size": 100,
                        "sha256": "0" * 64,
                        "dek_wrapped": "x",
                        "search_state": "indexed",
                        "processed_version": 1,
                    }
                    for n, i in enumerate(ids)
                ],
            )
            await session.execute(
                insert(DocumentVector),
                [
                    {
                        "document_id": i,
                        "version": 1,
                        "model": EMBEDDING_MODEL,
                        "vector": v.tobytes(),
                    }
                    for i, v in zip(ids, vectors, strict=True)
                ],
            )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    async with own_database("shre_bench_semantic") as url:
        with tempfile.TemporaryDirectory() as scratch:
            tmp = Path(scratch)
            await migrate.upgrade(base_settings(tmp, url))
            settings = base_settings(tmp, url, shre_ai=True, log_level="ERROR")
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                runtime = app.state.runtime
                await empty_tables(runtime)
                await fill(runtime, args.documents)
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                    hr = await Accounts(runtime, client).signed_in(Role.HR, "hr@b.example")
                    started = time.perf_counter()
                    first = await client.get(DOCS, params={"semantic": "warm"}, headers=hr.headers)
                    first.raise_for_status()
                    print(f"first query (loads the model): {time.perf_counter() - started:.1f} s")
                    print(f"{first.json()['total']} documents with an embedding")
                    times, alone = [], []
                    for n in range(args.queries):
                        text = QUERIES[n % len(QUERIES)]
                        started = time.perf_counter()
                        answer = await client.get(
                            DOCS, params={"semantic": text, "page_size": 20}, headers=hr.headers
                        )
                        times.append(time.perf_counter() - started)
                        answer.raise_for_status()
                        started = time.perf_counter()
                        embed_query(text)
                        alone.append(time.perf_counter() - started)
                    times.sort()
                    print(
                        f"semantic query at {args.documents} documents ({args.queries} queries): "
                        f"median {statistics.median(times) * 1000:.0f} ms, "
                        f"p90 {times[int(len(times) * 0.9) - 1] * 1000:.0f} ms, "
                        f"max {times[-1] * 1000:.0f} ms; the query's embedding alone: median "
                        f"{statistics.median(alone) * 1000:.0f} ms"
                    )


if __name__ == "__main__":
    asyncio.run(main())
