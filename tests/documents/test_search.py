"""`GET /documents?q=` finds words inside documents (PDF, DOCX, XLSX, text) as well as in
titles and filenames, on PostgreSQL (tsvector + GIN) and SQLite (FTS5); medical,
identity, payslip and tax documents are never indexed."""

from __future__ import annotations

import re
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shre.api.runtime import Runtime
from shre.documents import extract
from tests.support.accounts import Account
from tests.support.documents import (
    DOCS,
    add_version,
    cyclic_pdf,
    docx_with_text,
    pdf_with_text,
    uploaded,
    xlsx_with_text,
)
from tests.support.jobs import work_off


async def found(client: httpx.AsyncClient, admin: Account, q: str, **params: Any) -> set[str]:
    response = await client.get(DOCS, params={"q": q, **params}, headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {d["title"] for d in body["items"]}


async def test_words_inside_documents_are_found(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    files = {
        "Zoo report": ("zoo.pdf", pdf_with_text("The zebra studied quantum physics"), "other"),
        "Kitchen memo": (
            "kitchen.docx",
            docx_with_text("Aardvark pancake recipe", "Über straße"),
            "contract",
        ),
        "Pantry": ("pantry.xlsx", xlsx_with_text("marmalade", "crumpet"), "other"),
        "Notes": ("notes.txt", b"walrus and carpenter", "policy"),
        "Sick note": ("sick.pdf", pdf_with_text("giraffe flu diagnosis"), "medical"),
        "Passport": ("passport.txt", b"passport number okapi", "identity"),
        "Payslip": ("pay.txt", b"salary of the ocelot", "payslip"),
        "Tax form": ("tax.txt", b"tax return of the lemur", "tax"),
    }
    for title, (filename, payload, category) in files.items():
        await uploaded(
            client, admin.headers, payload, filename=filename, category=category, title=title
        )
    assert await found(client, admin, "zebra") == set()  # once the upload's job has run:
    await work_off(runtime)
    assert await found(client, admin, "zebra") == {"Zoo report"}
    assert await found(client, admin, "QUANTUM zebra") == {"Zoo report"}  # every word
    assert await found(client, admin, "zebra pancake") == set()
    assert await found(client, admin, "aardvark") == {"Kitchen memo"}
    assert await found(client, admin, "uber strasse") == {"Kitchen memo"}  # casefolded: ß = ss
    assert await found(client, admin, "uber") == {"Kitchen memo"}  # diacritics folded
    assert await found(client, admin, "crumpet") == {"Pantry"}
    assert await found(client, admin, "carpenter") == {"Notes"}
    # Titles and filenames, as substrings.
    assert await found(client, admin, "kitch") == {"Kitchen memo"}
    assert await found(client, admin, "pantry.xl") == {"Pantry"}
    # Sensitive categories: found by title only, never by their contents.
    for word in ("giraffe", "diagnosis", "okapi", "ocelot", "lemur"):
        assert await found(client, admin, word) == set(), word
    assert await found(client, admin, "sick") == {"Sick note"}
    # Query syntax is inert (no FTS5 operators, no tsquery syntax).
    for odd in ('zebra" OR "giraffe', "NEAR(zebra giraffe)", "zebra & !x", "*", "'", "a:b"):
        await found(client, admin, odd)
    assert await found(client, admin, "zebra", category="medical") == set()
    # Only words are kept, never the text; and no word of a sensitive document at all.
    async with runtime.engine.connect() as conn:
        stored = " ".join(
            str(row[0]) for row in await conn.execute(text("SELECT terms FROM document_search"))
        )
    for word in ("giraffe", "okapi", "ocelot", "lemur", "diagnosis"):
        assert word not in stored
    assert "zebra" in stored


async def test_the_index_follows_versions_categories_and_deletes(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    doc = await uploaded(
        client, admin.headers, docx_with_text("hedgehog"), filename="a.docx", title="Doc"
    )
    await work_off(runtime)
    assert await found(client, admin, "hedgehog") == {"Doc"}
    await add_version(client, admin.headers, doc["id"], pdf_with_text("porcupine"), "b.pdf")
    await work_off(runtime)
    assert await found(client, admin, "hedgehog") == set()
    assert await found(client, admin, "porcupine") == {"Doc"}
    url = f"{DOCS}/{doc['id']}"
    assert (await client.patch(url, json={"category": "medical"}, headers=admin.headers)).is_success
    assert await found(client, admin, "porcupine") == set()  # at once
    assert (await client.patch(url, json={"category": "other"}, headers=admin.headers)).is_success
    await work_off(runtime)
    assert await found(client, admin, "porcupine") == {"Doc"}  # indexed again from the file
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert await found(client, admin, "porcupine") == set()


async def test_a_hostile_file_neither_fails_nor_holds_up_its_job(
    client: httpx.AsyncClient, admin: Account, monkeypatch: pytest.MonkeyPatch, runtime: Runtime
) -> None:
    looping = await uploaded(client, admin.headers, cyclic_pdf(), filename="loop.pdf")
    assert looping["content_type"] == "application/pdf"  # stored; only not searchable
    await work_off(runtime)
    assert await runtime.queue.jobs() == []  # processed (its text: none), not failed

    release = threading.Event()
    finished = threading.Event()

    def stuck(data: bytes, content_type: str, deadline: float) -> str:
        release.wait(30)  # a parser that does not come back in time
        finished.set()
        return "never indexed"

    monkeypatch.setattr(extract, "MAX_SECONDS", 0.2)
    monkeypatch.setattr(extract, "_extract", stuck)
    try:
        slow = await uploaded(client, admin.headers, pdf_with_text("never indexed"), title="Slow")
        await work_off(runtime)
        assert not finished.is_set()  # the job ended while the parser still runs
        assert await runtime.queue.jobs() == []
    finally:
        release.set()
    assert await found(client, admin, "indexed") == set()
    assert (await client.get(f"{DOCS}/{slow['id']}/content", headers=admin.headers)).is_success


SENTENCE = "Anna was rated poor because Anna missed every deadline and the team lost trust"


async def test_the_index_keeps_no_order_of_words(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    """Finding 10 of issue 15: the SQLite index kept a document's words in the order they
    came in, so a review's sentences could be read back from `document_search.terms`."""
    await uploaded(
        client,
        admin.headers,
        SENTENCE.encode(),
        filename="review.txt",
        category="performance",
        title="Review",
    )
    await work_off(runtime)
    async with runtime.engine.connect() as conn:
        (stored,) = [
            str(row[0]) for row in await conn.execute(text("SELECT terms FROM document_search"))
        ]
    kept = re.findall(r"\w+", stored)
    assert kept == sorted(set(SENTENCE.lower().split()))  # sorted, each word once
    assert "rated poor" not in stored
    assert "missed every deadline" not in stored
    # Searching is by words, in any order, as before.
    assert await found(client, admin, "deadline anna") == {"Review"}
    assert await found(client, admin, "TRUST rated") == {"Review"}
    assert await found(client, admin, "anna praised") == set()
