"""Uploads: a new document, or a new version of one, streamed from the request body to
storage without the whole file in memory and without any plaintext on disk.

Order of work, and why:
1. the form fields (they precede the file part), then the access check: nothing of the
   file is read for a caller who may not upload it;
2. the request's read transaction is ended, so no pooled connection waits on the upload;
3. the file streams through the type sniffer into storage, which hashes it on the way
   and enforces MAX_UPLOAD_MB (413) — a refused type (415) or a size over the limit
   aborts the upload and nothing is kept;
4. the rows are inserted, with the job that processes the file (extracts its text for
   the search index, suggests a category: shre.documents.tasks) in the same transaction.
   If that fails, or the transaction later rolls back, the stored object is deleted
   again: a record never exists without its file, nor the reverse (`shre storage check`
   finds what a crash in between leaves).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

import anyio
import structlog
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from shre.cache import invalidate_on_commit
from shre.crypto import DataKey
from shre.db import on, state_of
from shre.documents.cache import DOCUMENTS
from shre.documents.errors import Gone, from_storage
from shre.documents.models import Document, DocumentVersion
from shre.documents.multipart import FormField, FormFile, FormReader, malformed
from shre.documents.repository import reserve_key_slot
from shre.documents.schemas import UploadFields
from shre.documents.service import DocumentService, not_found
from shre.documents.sniff import sniff
from shre.documents.tasks import defer_processing
from shre.employees.repository import EmployeeRepository
from shre.kit.errors import Conflict, Forbidden, InvalidInput, changed_concurrently
from shre.policy import Principal
from shre.storage import ObjectInfo, Storage, StorageError, object_key, safe_filename

log = structlog.get_logger("shre.documents")
_cleanups: set[asyncio.Task[None]] = set()
LIST_FIELDS = frozenset({"tags"})
VERSION_ATTEMPTS = 5


async def _delete_quietly(storage: Storage, key: str) -> None:
    with anyio.CancelScope(shield=True):
        try:
            await storage.delete_file(key)
        except StorageError as exc:
            # `shre storage check --repair` removes it later.
            log.error("document.orphan_left", key=key, error_type=type(exc).__name__)


class _Uploaded(list[tuple[Storage, str]]):
    """A session's part: the files its uploads stored, until it commits or rolls back."""


def attach(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Have the sessions of `sessionmaker` delete the files an upload stored when the
    transaction that was to record them rolls back."""
    on(sessionmaker, "after_commit", _uploads_kept)
    on(sessionmaker, "after_rollback", _uploads_dropped)


def _uploads_kept(session: Session) -> None:
    state_of(session).take(_Uploaded)


def _uploads_dropped(session: Session) -> None:
    """The transaction that would have recorded these files rolled back (a failed commit,
    an error after the insert): delete them, as the insert never happened."""
    uploaded = state_of(session).take(_Uploaded)
    if not uploaded:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop (a synchronous session): `storage check` finds them
        log.error("document.orphans_left", keys=[key for _, key in uploaded])
        return
    for storage, key in uploaded:
        task = loop.create_task(_delete_quietly(storage, key))
        _cleanups.add(task)
        task.add_done_callback(_cleanups.discard)


def _invalid_fields(exc: ValidationError) -> InvalidInput:
    errors = [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "body",
            "location": "body",
            "message": str(err["msg"]),
            "type": str(err["type"]),
        }
        for err in exc.errors(include_input=False, include_url=False)
    ]
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return InvalidInput(f"Invalid input: {fields}", code="validation_error", errors=errors)


def _no_such_employee() -> InvalidInput:
    return InvalidInput(
        "employee_id: no such employee",
        code="employee_not_found",
        errors=[{"field": "employee_id", "location": "body", "message": "no such employee"}],
    )


async def read_fields(form: FormReader) -> tuple[dict[str, Any], FormFile]:
    """The fields before the file part, and the file part (not yet read)."""
    values: dict[str, Any] = {}
    async for part in form:
        if isinstance(part, FormFile):
            if part.name != "file":
                raise malformed(f"unexpected file part {part.name[:40]!r}; send it as 'file'")
            if not part.filename:  # what a browser sends when no file was chosen
                break
            return values, part
        assert isinstance(part, FormField)  # noqa: S101 - the reader yields only these two
        if part.name in LIST_FIELDS:
            values.setdefault(part.name, []).extend(
                tag for tag in part.value.split(",") if tag.strip()
            )
        elif part.name in values:
            raise malformed(f"form field {part.name[:40]!r} is given twice")
        elif part.value.strip() or part.name not in {"employee_id", "expires_on", "title"}:
            values[part.name] = part.value
    raise InvalidInput(
        "file: required (a multipart part named 'file', after the other fields)",
        code="validation_error",
        errors=[{"field": "file", "location": "body", "message": "Field required"}],
    )


async def _no_more_parts(form: FormReader) -> None:
    async for part in form:
        raise malformed(f"part {part.name[:40]!r} after the file: send every field before the file")


class DocumentUploader:
    def __init__(self, service: DocumentService) -> None:
        self.service = service
        self.session = service.session
        self.context = service.context

    async def _release_connection(self) -> None:
        """End the read-only transaction before the upload streams (it may take minutes):
        no pooled connection or snapshot is held meanwhile. Nothing has been written yet,
        so this commits nothing of the request's own."""
        if self.session.new or self.session.dirty or self.session.deleted:
            raise RuntimeError("an upload must not start with unsaved changes")
        await self.session.commit()

    async def _store(
        self, storage: Storage, key: str, upload: FormFile, dek: DataKey
    ) -> ObjectInfo:
        sniffed = await sniff(upload.chunks, upload.filename)
        try:
            return await storage.upload_file(
                key,
                sniffed.chunks,
                sniffed.content_type,
                data_key=dek,
                max_size=self.context.max_upload_bytes,
            )
        except StorageError as exc:
            raise from_storage(exc) from None

    def _keep_on_commit(self, storage: Storage, key: str) -> None:
        state_of(self.session).part(_Uploaded).append((storage, key))

    async def create(self, actor: Principal, form: FormReader) -> Document:
        raw, upload = await read_fields(form)
        try:
            fields = UploadFields.model_validate(raw)
        except ValidationError as exc:
            raise _invalid_fields(exc) from None
        employee_id = fields.employee_id
        if employee_id is not None and not await EmployeeRepository(self.session).exists(
            employee_id
        ):
            raise _no_such_employee()
        if not await self.service.may_upload(actor, employee_id, fields.category):
            await self.service.denied("document.upload", None, [fields.category])
            raise Forbidden(
                f"You may not upload {fields.category} documents here", code="upload_not_allowed"
            )
        document_id = uuid.uuid4()
        if employee_id is None:
            dek = DataKey.generate()
        else:
            try:
                dek = await self.context.keys.employee_key(self.session, employee_id)
            except Gone:
                raise Conflict(
                    "This employee's data key was destroyed; no documents can be added",
                    code="key_destroyed",
                ) from None
        key = object_key(employee_id, document_id, 1)
        storage = self.context.stores.primary
        filename = safe_filename(upload.filename)
        await self._release_connection()
        info = await self._store(storage, key, upload, dek)
        try:
            await _no_more_parts(form)
            document = Document(
                id=document_id,
                employee_id=employee_id,
                title=fields.title or filename,
                category=fields.category,
                tags=fields.tags,
                expires_on=fields.expires_on,
                current_version=1,
                key_slots=1,
                filename=filename,
                content_type=info.content_type,
                size=info.size,
                sha256=str(info.sha256),
                uploaded_by=actor.id,
            )
            if employee_id is None:
                self.context.keys.attach(document, dek)
            self.session.add(document)
            self.session.add(_version_row(document.id, 1, filename, key, storage, info, actor))
            try:
                await self.session.flush()
            except IntegrityError:
                # The employee was removed meanwhile (they are never deleted in practice).
                raise _no_such_employee() from None
            await defer_processing(self.context.queue, self.session, document.id, 1)
            await self.service.audit.record(
                "document.upload",
                target_type="document",
                target_id=document.id,
                fields=_audit_fields(fields.model_fields_set),
            )
        except BaseException:
            await _delete_quietly(storage, key)
            raise
        self._keep_on_commit(storage, key)
        invalidate_on_commit(self.session, DOCUMENTS)
        log.info(
            "document.uploaded",
            document_id=str(document.id),
            size=info.size,
            content_type=info.content_type,
            by=str(actor.id),
        )
        return document

    async def add_version(
        self, actor: Principal, document_id: uuid.UUID, form: FormReader
    ) -> Document:
        document = await self.service.live(actor, document_id)
        if not await self.service.may_upload(actor, document.employee_id, document.category):
            await self.service.denied("document.version_add", document.id, [])
            raise Forbidden("You may not add versions to this document", code="upload_not_allowed")
        raw, upload = await read_fields(form)
        if raw:
            raise malformed(f"unexpected form fields: {', '.join(sorted(raw))[:100]}")
        dek = await self.context.keys.for_document(self.session, document.id, document.employee_id)
        employee_id = document.employee_id
        await self._release_connection()
        slot = await reserve_key_slot(self.context.sessionmaker, document_id)
        if slot is None:
            raise not_found()
        key = object_key(employee_id, document_id, slot)
        storage = self.context.stores.primary
        filename = safe_filename(upload.filename)
        info = await self._store(storage, key, upload, dek)
        try:
            await _no_more_parts(form)
            fresh, number = await self._insert_version(
                document_id, filename, key, storage, info, actor
            )
            await defer_processing(self.context.queue, self.session, document_id, number)
            await self.service.audit.record(
                "document.version_add",
                target_type="document",
                target_id=document_id,
                fields=[f"v{number}"],
            )
        except BaseException:
            await _delete_quietly(storage, key)
            raise
        self._keep_on_commit(storage, key)
        invalidate_on_commit(self.session, DOCUMENTS)
        log.info("document.version_added", document_id=str(document_id), version=number)
        return fresh

    async def _insert_version(
        self,
        document_id: uuid.UUID,
        filename: str,
        key: str,
        storage: Storage,
        info: ObjectInfo,
        actor: Principal,
    ) -> tuple[Document, int]:
        """Record the stored file as the document's next version; the number is taken at
        insert time, again if another version won the race (its file is safe under its
        own object key whatever number it gets)."""
        for attempt in range(VERSION_ATTEMPTS):
            fresh = await self.service.repo.get(document_id, fresh=True)
            if fresh is None:
                raise not_found()
            number = fresh.current_version + 1
            self.session.add(_version_row(fresh.id, number, filename, key, storage, info, actor))
            fresh.current_version = number
            fresh.filename = filename
            fresh.content_type = info.content_type
            fresh.size = info.size
            fresh.sha256 = str(info.sha256)
            fresh.uploaded_by = actor.id
            try:
                await self.session.flush()
            except (IntegrityError, StaleDataError):
                await self.session.rollback()
                if attempt == VERSION_ATTEMPTS - 1:
                    break
                continue
            return fresh, number
        raise changed_concurrently("document")


def _version_row(
    document_id: uuid.UUID,
    number: int,
    filename: str,
    key: str,
    storage: Storage,
    info: ObjectInfo,
    actor: Principal,
) -> DocumentVersion:
    return DocumentVersion(
        document_id=document_id,
        version=number,
        object_key=key,
        storage_backend=storage.backend,
        filename=filename,
        content_type=info.content_type,
        size=info.size,
        sha256=str(info.sha256),
        uploaded_by=actor.id,
    )


def _audit_fields(names: Iterable[str]) -> list[str]:
    return sorted({"file", *names})
