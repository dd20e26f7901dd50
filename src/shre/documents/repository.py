"""All SQL for documents (the full-text index has its own module, `search`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    UnaryExpression,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.documents import search, vectors
from shre.documents.models import Document, DocumentVersion
from shre.employees.models import Employee
from shre.employees.repository import Scope
from shre.kit.pagination import PageParams, ids_in_order, ordering, rows_in_order
from shre.kit.sql import LIKE_ESCAPE, contains_pattern
from shre.policy import DocumentScope

SORTABLE: dict[str, SQLColumnExpression[Any]] = {
    "created_at": Document.created_at,
    "updated_at": Document.updated_at,
    # Case-insensitive, so both databases sort names alike whatever their collation.
    "title": func.lower(Document.title),
    "category": Document.category,
    "filename": func.lower(Document.filename),
    "size": Document.size,
    "expires_on": Document.expires_on,
}


@dataclass(frozen=True, slots=True)
class Filters:
    q: str | None = None
    # Ranks by meaning instead of the sort (the service embeds it: see `ranked`).
    semantic: str | None = None
    category: str | None = None
    employee_id: uuid.UUID | None = None
    expiring_before: date | None = None


def visible(scope: DocumentScope) -> ColumnElement[bool] | None:
    """The documents a read scope covers, as SQL (None: all of them)."""
    if scope.everything:
        return None
    allowed: list[ColumnElement[bool]] = []
    if scope.own is not None:
        allowed.append(Document.employee_id == scope.own)
    if scope.subtree_of is not None and scope.subtree_categories:
        reports = select(Employee.id).where(Scope(scope.subtree_of, with_reports=True).condition())
        allowed.append(
            Document.category.in_(sorted(scope.subtree_categories))
            & Document.employee_id.in_(reports)
        )
    return or_(*allowed) if allowed else false()


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, document_id: uuid.UUID, *, fresh: bool = False) -> Document | None:
        """A live (not deleted) document; `fresh` reloads a row the session already holds."""
        stmt = select(Document).where(Document.id == document_id, Document.deleted_at.is_(None))
        if fresh:
            stmt = stmt.execution_options(populate_existing=True)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def _conditions(self, filters: Filters, scope: DocumentScope) -> list[ColumnElement[bool]]:
        """The live documents `scope` covers that match `filters`."""
        conditions: list[ColumnElement[bool]] = [Document.deleted_at.is_(None)]
        scoped = visible(scope)
        if scoped is not None:
            conditions.append(scoped)
        if filters.category is not None:
            conditions.append(Document.category == filters.category)
        if filters.employee_id is not None:
            conditions.append(Document.employee_id == filters.employee_id)
        if filters.expiring_before is not None:
            conditions.append(Document.expires_on < filters.expiring_before)
        if filters.q:
            pattern = contains_pattern(filters.q)
            found: list[ColumnElement[bool]] = [
                func.lower(Document.title).like(pattern, escape=LIKE_ESCAPE),
                func.lower(Document.filename).like(pattern, escape=LIKE_ESCAPE),
            ]
            inside = search.matching(self.session, filters.q)
            if inside is not None:
                found.append(inside)
            conditions.append(or_(*found))
        return conditions

    async def page(
        self, params: PageParams, filters: Filters, scope: DocumentScope
    ) -> tuple[list[Document], int]:
        conditions = self._conditions(filters, scope)
        total = (
            await self.session.execute(
                select(func.count()).select_from(Document).where(*conditions)
            )
        ).scalar_one()
        page = (
            select(Document)
            .where(*conditions)
            .order_by(*_order(params.sort))
            .offset(params.offset)
            .limit(params.page_size)
        )
        return list((await self.session.execute(page)).scalars()), int(total)

    async def ranked(
        self, params: PageParams, filters: Filters, scope: DocumentScope, query: Any
    ) -> tuple[list[Document], int]:
        """A page of the documents matching the filters, most similar to `query` (an
        embedding) first; only documents with an embedding take part."""
        conditions = self._conditions(filters, scope)
        ids, total = await vectors.rank(
            self.session, conditions, query, params.offset, params.page_size
        )
        return await self.in_order(ids), total

    async def ids_in_order(
        self, sort: str | None, filters: Filters, scope: DocumentScope, *, limit: int
    ) -> list[uuid.UUID]:
        stmt = select(Document.id).where(*self._conditions(filters, scope))
        return await ids_in_order(self.session, stmt, _order(sort), limit)

    async def in_order(self, ids: Sequence[uuid.UUID]) -> list[Document]:
        """The documents of `ids` in that order, those deleted since left out."""
        return await rows_in_order(self.session, Document, ids, Document.deleted_at.is_(None))

    async def versions(self, document_id: uuid.UUID) -> list[DocumentVersion]:
        stmt = (
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document_id)
            .order_by(DocumentVersion.version)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def version(self, document_id: uuid.UUID, version: int) -> DocumentVersion | None:
        stmt = select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.version == version
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def version_by_key(self, object_key: str) -> tuple[Document, DocumentVersion] | None:
        """The live document and version stored under `object_key` (signed links)."""
        stmt = (
            select(Document, DocumentVersion)
            .join(DocumentVersion, DocumentVersion.document_id == Document.id)
            .where(DocumentVersion.object_key == object_key, Document.deleted_at.is_(None))
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (row[0], row[1])

    async def expiring(self, until: date) -> list[tuple[Document, str | None]]:
        """Live documents expiring on or before `until` (expired ones too), soonest first,
        with their employee's name."""
        name = Employee.first_name + " " + Employee.last_name
        stmt = (
            select(Document, name)
            .outerjoin(Employee, Employee.id == Document.employee_id)
            .where(
                Document.deleted_at.is_(None),
                Document.expires_on.is_not(None),
                Document.expires_on <= until,
            )
            .order_by(Document.expires_on, Document.id)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(stmt)).all()]


def _order(sort: str | None) -> list[UnaryExpression[Any]]:
    return ordering(sort, SORTABLE, "-created_at", Document.id)


async def reserve_key_slot(
    sessionmaker: async_sessionmaker[AsyncSession], document_id: uuid.UUID
) -> int | None:
    """Take the document's next object-key slot, committed at once (so a concurrent upload
    takes another); None when the document is gone."""
    async with sessionmaker() as session, session.begin():
        stmt = (
            update(Document)
            .where(Document.id == document_id, Document.deleted_at.is_(None))
            .values(key_slots=Document.key_slots + 1)
            .returning(Document.key_slots)
            .execution_options(synchronize_session=False)
        )
        return (await session.execute(stmt)).scalar_one_or_none()


def not_held() -> ColumnElement[bool]:
    """Documents of no employee on legal hold (a hold freezes every deletion)."""
    held = select(Employee.id).where(Employee.legal_hold_since.is_not(None))
    return or_(Document.employee_id.is_(None), Document.employee_id.not_in(held))


async def deleted_before(session: AsyncSession, cutoff: datetime, limit: int) -> list[Document]:
    """Documents deleted before `cutoff` (but those of employees on legal hold)."""
    stmt = (
        select(Document)
        .where(Document.deleted_at.is_not(None), Document.deleted_at < cutoff, not_held())
        .order_by(Document.deleted_at, Document.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def uploaded_before(
    session: AsyncSession, category: str, cutoff: datetime, limit: int
) -> list[Document]:
    """Documents (live or deleted) of `category` first uploaded before `cutoff`: past
    their retention (but those of employees on legal hold)."""
    stmt = (
        select(Document)
        .where(Document.category == category, Document.created_at < cutoff, not_held())
        .order_by(Document.created_at, Document.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def of_employee(session: AsyncSession, employee_id: uuid.UUID) -> list[DocumentVersion]:
    """Every version of every document (deleted ones too) of an employee."""
    stmt = (
        select(DocumentVersion)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(Document.employee_id == employee_id)
        .order_by(DocumentVersion.document_id, DocumentVersion.version)
    )
    return list((await session.execute(stmt)).scalars())


async def document_ids_of(session: AsyncSession, employee_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(Document.id).where(Document.employee_id == employee_id).order_by(Document.id)
    return list((await session.execute(stmt)).scalars())


async def remove_rows(session: AsyncSession, document_ids: Sequence[uuid.UUID]) -> None:
    """Delete documents with their versions and index entries (the purge)."""
    ids = list(document_ids)
    await search.remove(session, ids)
    await vectors.remove(session, ids)
    await session.execute(delete(DocumentVersion).where(DocumentVersion.document_id.in_(ids)))
    await session.execute(delete(Document).where(Document.id.in_(ids)))
