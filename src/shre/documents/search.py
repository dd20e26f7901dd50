"""The full-text index of document contents: PostgreSQL full-text search (a tsvector per
document, GIN-indexed) or SQLite FTS5, in the `document_search` table the 0006 migration
creates (outside the ORM metadata: its shape differs per database).

What is stored is the set of distinct words of the current version (folded: lower case,
no diacritics), sorted, as a tsvector keeps them: no positions, not the order they came
in, never the text itself (`terms`). There is no phrase search: a query finds the
documents holding every one of its words, anywhere. Medical, identity, payslip
and tax documents are not indexed at all: their words stay only in the encrypted file.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Uuid,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shre.policy import DOCUMENT_CATEGORIES

SEARCH_TABLE = "document_search"
NOT_INDEXED = frozenset({"medical", "identity", "payslip", "tax"})
INDEXED = frozenset(DOCUMENT_CATEGORIES) - NOT_INDEXED
MAX_WORDS = 50_000
MAX_WORD_CHARS = 64
MAX_QUERY_WORDS = 16
_WORD = re.compile(r"\w+")
SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")

search_table = table(SEARCH_TABLE, column("document_id", Uuid()), column("terms"))


def is_indexed(category: str) -> bool:
    return category in INDEXED


def fold(value: str) -> str:
    """Lower case without diacritics, the same for the index and the query on both
    databases ("Über" finds "uber")."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(value: str, limit: int = MAX_WORDS) -> list[str]:
    """Distinct folded words, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer(fold(value)):
        word = match.group(0)
        if len(word) <= MAX_WORD_CHARS:
            seen.setdefault(word, None)
            if len(seen) >= limit:
                break
    return list(seen)


def terms(value: str) -> str:
    """What the index keeps of a text: its distinct folded words in sorted order, so the
    text's order of words cannot be read back (the 0009 migration rewrote older rows)."""
    return " ".join(sorted(words(value)))


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def put(session: AsyncSession, document_id: uuid.UUID, content: str) -> bool:
    """Index the words of `content` for the document (replacing what was there); False
    when there are none (and nothing is stored)."""
    await remove(session, [document_id])
    kept = terms(content)
    if not kept:
        return False
    if _postgres(session):
        stmt = pg_insert(search_table).values(
            document_id=document_id,
            terms=func.strip(func.to_tsvector(SIMPLE, kept)),
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["document_id"], set_={"terms": stmt.excluded.terms}
            )
        )
    else:
        await session.execute(insert(search_table).values(document_id=document_id, terms=kept))
    return True


async def remove(session: AsyncSession, document_ids: Sequence[uuid.UUID]) -> None:
    """Drop the documents' searchable traces: their words and their embedding."""
    from shre.documents import vectors

    if document_ids:
        await session.execute(
            delete(search_table).where(search_table.c.document_id.in_(list(document_ids)))
        )
        await vectors.remove(session, document_ids)


def matching(session: AsyncSession, query: str) -> ColumnElement[bool] | None:
    """`documents.id IN (documents whose contents have every word of the query)`, or None
    when the query has no words."""
    from shre.documents.models import Document

    found = words(query, MAX_QUERY_WORDS)
    if not found:
        return None
    if _postgres(session):
        tsquery = func.plainto_tsquery(SIMPLE, " ".join(found))
        hits = select(search_table.c.document_id).where(search_table.c.terms.op("@@")(tsquery))
    else:
        # Every word quoted: FTS5 query syntax (AND, NEAR, column filters) stays inert.
        fts = " ".join('"' + w.replace('"', '""') + '"' for w in found)
        hits = select(search_table.c.document_id).where(text("document_search MATCH :fts"))
        hits = hits.params(fts=fts)
    return Document.id.in_(hits)
