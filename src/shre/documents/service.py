"""Documents: reading, listing, changing and deleting them, and handing out their files,
with the access rules of CONTRACT.md §4 (shre.policy) applied to every path. Uploads are in
`uploads.py`.

A document the caller may not read is 404 (its existence is not revealed); one they may
read but not change is 403. Lists are filtered in SQL, so they only ever hold visible
documents. Metadata reads go through the cache (rows as stored, never file bytes, never a
data key); who may see a row is decided after the cache, on fresh facts.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from shre.audit import AuditTrail
from shre.cache import CacheLayer, invalidate_on_commit, key_of
from shre.documents import search
from shre.documents.cache import DOCUMENT_ROWS, DOCUMENTS
from shre.documents.errors import from_storage
from shre.documents.keys import DocumentKeys
from shre.documents.models import Document, DocumentVersion
from shre.documents.ranges import parse_range
from shre.documents.repository import DocumentRepository, Filters
from shre.documents.schemas import DocumentOut, DocumentUpdate, document_out
from shre.documents.tasks import defer_processing
from shre.employees.repository import EmployeeRepository
from shre.kit.errors import Conflict, Forbidden, InvalidInput, NotFound, changed_concurrently
from shre.kit.export import Batches, check_size, export_target, in_batches
from shre.kit.http import Precondition, check_if_match
from shre.kit.pagination import PageParams
from shre.policy import (
    MANAGE_DOCUMENTS,
    Principal,
    Role,
    document_read_scope,
    may_delete_document,
    may_read_document,
    may_upload_document,
)
from shre.queue import JobQueue
from shre.storage import ObjectStream, StorageError, StorageSet

log = structlog.get_logger("shre.documents")
EXPORT = "document.export"
# An export's columns: the list's fields, in its order.
EXPORT_COLUMNS = tuple(DocumentOut.model_fields)
MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DocumentContext:
    """What the documents domain takes from the runtime."""

    stores: StorageSet
    keys: DocumentKeys
    sessionmaker: async_sessionmaker[AsyncSession]
    cache: CacheLayer | None
    max_upload_bytes: int
    queue: JobQueue
    # SHRE_AI: the AI features (semantic search) were asked for.
    ai: bool = False


@dataclass(slots=True)
class Download:
    """An opened file, checked as far as its first batch, ready to stream."""

    document_id: uuid.UUID
    version: DocumentVersion
    stream: ObjectStream
    first: bytes
    partial: bool
    disposition: str = "attachment"

    async def body(self) -> AsyncIterator[bytes]:
        try:
            if self.first:
                yield self.first
            async for chunk in self.stream:
                yield chunk
        except StorageError as exc:
            # The status line has gone: all that is left is to cut the response short.
            log.error(
                "document.stream_failed",
                document_id=str(self.document_id),
                version=self.version.version,
                error_type=type(exc).__name__,
            )
            raise
        finally:
            await self.stream.aclose()


def not_found() -> NotFound:
    return NotFound("No such document", code="document_not_found")


def _row(document: Document) -> dict[str, Any]:
    return document_out(document).model_dump()


class DocumentService:
    def __init__(self, session: AsyncSession, context: DocumentContext, audit: AuditTrail) -> None:
        self.session = session
        self.context = context
        self.audit = audit
        self.repo = DocumentRepository(session)

    # --- access -----------------------------------------------------------------------
    async def in_subtree(self, actor: Principal, employee_id: uuid.UUID | None) -> bool:
        """Whether the employee reports to the actor, directly or not (managers only)."""
        if actor.role is not Role.MANAGER or actor.employee_id is None or employee_id is None:
            return False
        found = await EmployeeRepository(self.session).reporting_to(
            actor.employee_id, [employee_id]
        )
        return employee_id in found

    async def may_read(self, actor: Principal, document: Document) -> bool:
        return may_read_document(
            actor,
            document.employee_id,
            document.category,
            in_subtree=await self.in_subtree(actor, document.employee_id),
        )

    async def may_upload(
        self, actor: Principal, employee_id: uuid.UUID | None, category: str
    ) -> bool:
        return may_upload_document(
            actor, employee_id, category, in_subtree=await self.in_subtree(actor, employee_id)
        )

    async def denied(self, action: str, target: uuid.UUID | None, fields: list[str]) -> None:
        """A refused change is recorded too (in its own transaction: the request's is rolled
        back with the refusal)."""
        await self.audit.record_read(
            action, target_type="document", target_id=target, fields=fields, outcome="denied"
        )

    async def _cached(self, document_id: uuid.UUID) -> Document | None:
        if self.context.cache is None:
            return await self.repo.get(document_id)

        async def load() -> dict[str, Any] | None:
            row = await self.repo.get(document_id)
            return None if row is None else DOCUMENT_ROWS.dump(row)

        found = await self.context.cache.get_or_load(DOCUMENTS, f"record:{document_id}", load)
        return None if found is None else DOCUMENT_ROWS.load(found)

    async def visible(self, actor: Principal, document_id: uuid.UUID) -> Document:
        """The document (from the cache) if the actor may read it; 404 otherwise."""
        document = await self._cached(document_id)
        if document is None or not await self.may_read(actor, document):
            raise not_found()
        return document

    async def live(self, actor: Principal, document_id: uuid.UUID) -> Document:
        """The document's row in this session (to change it), if the actor may read it."""
        document = await self.repo.get(document_id)
        if document is None or not await self.may_read(actor, document):
            raise not_found()
        return document

    # --- reading ----------------------------------------------------------------------
    async def page(
        self, actor: Principal, params: PageParams, filters: Filters
    ) -> tuple[list[Document], int]:
        scope = document_read_scope(actor)
        if filters.semantic is not None:
            return await self.repo.ranked(
                params, filters, scope, await self._embed(filters.semantic)
            )

        async def load() -> tuple[list[Document], int]:
            return await self.repo.page(params, filters, scope)

        if self.context.cache is None:
            return await load()

        async def as_json() -> dict[str, Any]:
            rows, total = await load()
            return {"rows": [DOCUMENT_ROWS.dump(r) for r in rows], "total": total}

        # A manager's list also depends on who reports to them: the namespace follows the
        # reporting line (see shre.documents.cache).
        key = key_of("list", scope.everything, scope.own, scope.subtree_of, params, filters)
        cached = await self.context.cache.get_or_load(DOCUMENTS, key, as_json)
        return [DOCUMENT_ROWS.load(r) for r in cached["rows"]], int(cached["total"])

    async def _embed(self, text: str) -> Any:
        from shre.intelligence import ai_off

        missing = ai_off(self.context.ai)
        if missing is not None:
            raise InvalidInput(
                f"semantic: search by meaning is off here ({missing})",
                code="semantic_search_off",
                errors=[{"field": "semantic", "location": "query", "message": missing}],
            )
        from shre.intelligence.classifier import embed_query

        return await to_thread.run_sync(embed_query, text)

    async def export(
        self,
        actor: Principal,
        sort: str | None,
        filters: Filters,
        *,
        file_format: str,
        max_rows: int,
    ) -> tuple[Sequence[str], Batches]:
        """Every document the list pages through for the actor (its read scope, filters
        and sort), straight from the database: the columns, and the rows in batches.
        Recorded first, as one `document.export` event."""
        scope = document_read_scope(actor)
        ids = await self.repo.ids_in_order(sort, filters, scope, limit=max_rows + 1)
        check_size(len(ids), max_rows)
        await self.audit.record_read(
            EXPORT,
            target_type="document",
            target_id=export_target(file_format, len(ids)),
            fields=EXPORT_COLUMNS,
        )
        return EXPORT_COLUMNS, in_batches(
            ids, self.repo.in_order, _row, after=self.session.expunge_all
        )

    async def versions(self, actor: Principal, document_id: uuid.UUID) -> list[DocumentVersion]:
        document = await self.visible(actor, document_id)
        return await self.repo.versions(document.id)

    # --- changing ---------------------------------------------------------------------
    async def update(
        self,
        actor: Principal,
        document_id: uuid.UUID,
        data: DocumentUpdate,
        if_match: Precondition | None,
    ) -> Document:
        document = await self.live(actor, document_id)
        changes = data.model_dump(exclude_unset=True)
        for name in ("title", "category", "tags"):
            if name in changes and changes[name] is None:
                changes.pop(name)  # only expires_on can be cleared
        category = changes.get("category", document.category)
        if not await self.may_upload(actor, document.employee_id, document.category) or (
            not await self.may_upload(actor, document.employee_id, category)
        ):
            await self.denied("document.update", document.id, sorted(changes))
            raise Forbidden("You may not change this document", code="document_not_editable")
        check_if_match(if_match, document.lock_version)
        was_indexed = search.is_indexed(document.category)
        for name, value in changes.items():
            setattr(document, name, value)
        if "category" in changes and actor.role in MANAGE_DOCUMENTS:
            # hr or an admin set (or confirmed) it: a labelled example for the classifier
            document.category_reviewed_at = datetime.now(UTC)
            document.category_reviewed_by = actor.id
        if was_indexed and not search.is_indexed(category):
            document.search_state = "excluded"
            await search.remove(self.session, [document.id])
        elif not was_indexed and search.is_indexed(category):
            # its words go into the index by the processing job, once this commits
            await defer_processing(
                self.context.queue, self.session, document.id, document.current_version
            )
        invalidate_on_commit(self.session, DOCUMENTS)
        try:
            await self.session.flush()
        except StaleDataError:
            raise changed_concurrently("document") from None
        await self.audit.record(
            "document.update", target_type="document", target_id=document.id, fields=changes
        )
        return document

    async def delete(
        self, actor: Principal, document_id: uuid.UUID, if_match: Precondition | None
    ) -> None:
        """Soft delete: hidden at once, files kept for DOCUMENT_RETENTION_DAYS."""
        document = await self.live(actor, document_id)
        if not may_delete_document(actor):
            await self.denied("document.delete", document.id, [])
            raise Forbidden("Only HR and administrators delete documents", code="hr_only")
        check_if_match(if_match, document.lock_version)
        if document.employee_id is not None and await EmployeeRepository(
            self.session
        ).on_legal_hold(document.employee_id):
            raise Conflict(
                "The employee is on legal hold: their documents cannot be deleted",
                code="legal_hold",
            )
        document.deleted_at = datetime.now(UTC)
        document.deleted_by = actor.id
        document.search_state = "excluded"
        await search.remove(self.session, [document.id])
        invalidate_on_commit(self.session, DOCUMENTS)
        try:
            await self.session.flush()
        except StaleDataError:
            raise changed_concurrently("document") from None
        await self.audit.record("document.delete", target_type="document", target_id=document.id)
        log.info("document.deleted", document_id=str(document.id), by=str(actor.id))

    # --- files ------------------------------------------------------------------------
    async def open_content(
        self,
        actor: Principal,
        document_id: uuid.UUID,
        version: int | None,
        range_header: str | None,
    ) -> Download:
        document = await self.visible(actor, document_id)
        row = await self._version(document, version)
        download = await self._open(document, row, range_header)
        await self._audit_download(download, "document.download", [])
        return download

    async def open_link(self, key: str, disposition: str, range_header: str | None) -> Download:
        """A verified local download link: its object, if its document still exists and
        the version still lives on local storage."""
        found = await self.repo.version_by_key(key)
        if found is None or found[1].storage_backend != "local":
            raise NotFound("This download link's file is no longer here", code="link_gone")
        document, row = found
        download = await self._open(document, row, range_header)
        download.disposition = disposition
        await self._audit_download(download, "document.download", ["signed_url"])
        return download

    async def download_url(
        self, actor: Principal, document_id: uuid.UUID, version: int | None, expires_in: int
    ) -> tuple[str, datetime]:
        document = await self.visible(actor, document_id)
        row = await self._version(document, version)
        # Same rule as a download: a destroyed key means no file, whatever the backend.
        await self.context.keys.for_document(self.session, document.id, document.employee_id)
        try:
            storage = self.context.stores.get(row.storage_backend)
            url = await storage.get_presigned_url(
                row.object_key,
                expires_in,
                filename=row.filename,
                content_type=row.content_type,
            )
        except StorageError as exc:
            raise from_storage(exc) from None
        expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=expires_in)
        await self.audit.record_read(
            "document.download_url",
            target_type="document",
            target_id=document.id,
            fields=[f"v{row.version}"],
        )
        return url, expires_at

    async def _version(self, document: Document, version: int | None) -> DocumentVersion:
        row = await self.repo.version(document.id, version or document.current_version)
        if row is None:
            raise NotFound("This document has no such version", code="version_not_found")
        return row

    async def _open(
        self, document: Document, row: DocumentVersion, range_header: str | None
    ) -> Download:
        wanted = parse_range(range_header, row.size)
        dek = await self.context.keys.for_document(self.session, document.id, document.employee_id)
        start, end = wanted if wanted is not None else (0, None)
        try:
            storage = self.context.stores.get(row.storage_backend)
            stream = await storage.get_file(row.object_key, data_key=dek, start=start, end=end)
        except StorageError as exc:
            self._log_failure(document, row, exc)
            raise from_storage(exc, size=row.size) from None
        try:
            # The first batch is read (and, locally, authenticated) before the status line:
            # a damaged small file is a 500 problem, not a cut-off 200.
            first = await anext(stream, b"")
        except StorageError as exc:
            await stream.aclose()
            self._log_failure(document, row, exc)
            raise from_storage(exc, size=row.size) from None
        return Download(document.id, row, stream, first, partial=wanted is not None)

    @staticmethod
    def _log_failure(document: Document, row: DocumentVersion, exc: StorageError) -> None:
        log.error(
            "document.file_unavailable",
            document_id=str(document.id),
            version=row.version,
            backend=row.storage_backend,
            error_type=type(exc).__name__,
        )

    async def _audit_download(self, download: Download, action: str, fields: list[str]) -> None:
        try:
            await self.audit.record_read(
                action,
                target_type="document",
                target_id=download.document_id,
                fields=[*fields, f"v{download.version.version}"],
            )
        except BaseException:
            await download.stream.aclose()  # no event, no file
            raise
