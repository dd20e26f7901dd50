"""Documents' embeddings for semantic search (`GET /documents?semantic=TEXT`): one vector
per document, of its current version (384 float32, L2-normalised), written by the
processing job when the AI features are on, for the indexed categories only — a medical,
identity, payslip or tax document is never embedded, as its words are never indexed
(`search.remove` drops both). A query is embedded in the serving process and the
documents the caller may see (the list's own conditions, in SQL) are ranked by cosine
similarity; there is no vector index: at tens of thousands of documents a query reads
every candidate's vector (see bench/README.md for what that costs)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shre.db import upsert
from shre.documents.models import Document, DocumentVector


async def put(
    session: AsyncSession, document_id: uuid.UUID, version: int, model: str, vector: bytes
) -> None:
    stmt = upsert(session.get_bind().dialect.name)(DocumentVector).values(
        document_id=document_id, version=version, model=model, vector=vector
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["document_id"],
            set_={"version": version, "model": model, "vector": vector},
        )
    )


async def remove(session: AsyncSession, document_ids: Sequence[uuid.UUID]) -> None:
    if document_ids:
        await session.execute(
            delete(DocumentVector).where(DocumentVector.document_id.in_(list(document_ids)))
        )


async def rank(
    session: AsyncSession,
    conditions: Sequence[ColumnElement[bool]],
    query: Any,
    offset: int,
    limit: int,
) -> tuple[list[uuid.UUID], int]:
    """The ids of the documents matching `conditions` that have a vector, most similar to
    `query` (a float32 vector) first, from `offset`; and how many there are."""
    import numpy as np

    stmt = (
        select(DocumentVector.document_id, DocumentVector.vector)
        .join(Document, Document.id == DocumentVector.document_id)
        .where(*conditions)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        return [], 0
    ids = [row[0] for row in rows]
    matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32).reshape(
        len(rows), -1
    )
    scores = matrix @ np.asarray(query, dtype=np.float32)
    order = np.argsort(-scores, kind="stable")[offset : offset + limit]
    return [ids[int(i)] for i in order], len(rows)
