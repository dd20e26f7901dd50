"""Whose data key protects a document's files, and master-key rotation of the documents
that have their own.

An employee's documents are encrypted (local storage) under that employee's data key, so
`shre keys shred` makes them unreadable with the rest of the employee's sensitive data.
A document of no employee gets its own random data key, wrapped by the master key in
`documents.dek_wrapped` (bound to the document id); `shre keys rotate` re-wraps those
like the employees' keys. Wrapped keys are always read fresh from the database, never
from a cache, so a shredded or re-wrapped key takes effect at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import structlog
from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.crypto import (
    DataKey,
    Keyring,
    rewrap_data_key,
    unwrap_data_key,
    wrap_data_key,
    wrapping_key_id,
)
from shre.documents.errors import key_destroyed
from shre.documents.models import Document
from shre.employees.models import Employee

log = structlog.get_logger("shre.keys")


class DocumentKeys:
    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def attach(self, document: Document, dek: DataKey) -> None:
        """Store a new document's own data key (document of no employee), wrapped and
        bound to the document's id."""
        document.dek_wrapped = wrap_data_key(self.keyring, dek, document.id)
        document.dek_key_id = wrapping_key_id(document.dek_wrapped)

    async def employee_key(self, session: AsyncSession, employee_id: uuid.UUID) -> DataKey:
        """The employee's data key; 410 when it was destroyed."""
        stmt = select(Employee.dek_wrapped).where(Employee.id == employee_id)
        wrapped = (await session.execute(stmt)).scalar_one_or_none()
        if wrapped is None:
            raise key_destroyed()
        return unwrap_data_key(self.keyring, wrapped, employee_id)

    async def for_document(
        self, session: AsyncSession, document_id: uuid.UUID, employee_id: uuid.UUID | None
    ) -> DataKey:
        if employee_id is not None:
            return await self.employee_key(session, employee_id)
        stmt = select(Document.dek_wrapped).where(Document.id == document_id)
        wrapped = (await session.execute(stmt)).scalar_one_or_none()
        if wrapped is None:
            raise key_destroyed()
        return unwrap_data_key(self.keyring, wrapped, document_id)


async def pending_rotation(session: AsyncSession, keyring: Keyring) -> int:
    """Documents whose own data key is not yet wrapped by the primary master key."""
    stmt = select(func.count()).where(
        Document.dek_wrapped.is_not(None),
        or_(Document.dek_key_id.is_(None), Document.dek_key_id != keyring.primary.hex_id),
    )
    return int((await session.execute(stmt)).scalar_one())


async def rotate(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: Keyring,
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Re-wrap every document data key not yet under the primary master key (batches,
    each its own transaction, compare-and-swap per row: safe to interrupt and re-run)."""
    primary = keyring.primary.hex_id
    table = Document.__table__
    assert isinstance(table, Table)  # noqa: S101 - a mapped class's table
    swap = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.dek_wrapped == bindparam("b_old"))
        .values(dek_wrapped=bindparam("b_new"), dek_key_id=bindparam("b_key"))
    )
    done = 0
    while True:
        async with sessionmaker() as session, session.begin():
            stmt = (
                select(Document.id, Document.dek_wrapped)
                .where(Document.dek_wrapped.is_not(None))
                .where(or_(Document.dek_key_id.is_(None), Document.dek_key_id != primary))
                .order_by(Document.id)
                .limit(batch_size)
            )
            rows = (await session.execute(stmt)).all()
            if not rows:
                break
            params = []
            for row in rows:
                wrapped = rewrap_data_key(keyring, row.dek_wrapped, row.id)
                params.append(
                    {
                        "b_id": row.id,
                        "b_old": row.dek_wrapped,
                        "b_new": wrapped,
                        "b_key": wrapping_key_id(wrapped),
                    }
                )
            await session.execute(swap, params)
            done += len(rows)
            if progress is not None:
                progress(done)
        log.info("keys.rotate_documents_batch", rotated=done, primary=primary)
    return done


async def forget_employee_text(session: AsyncSession, employee_id: uuid.UUID) -> int:
    """After an employee's data key is destroyed: drop their documents from the full-text
    index too (its words would outlive the files). Returns how many documents."""
    from shre.cache import invalidate_on_commit
    from shre.documents import search
    from shre.documents.cache import DOCUMENTS

    invalidate_on_commit(session, DOCUMENTS)
    stmt = select(Document.id).where(Document.employee_id == employee_id)
    ids = list((await session.execute(stmt)).scalars())
    await search.remove(session, ids)
    if ids:
        await session.execute(
            update(Document)
            .where(Document.id.in_(ids))
            .values(search_state="excluded")
            .execution_options(synchronize_session=False)
        )
    return len(ids)
