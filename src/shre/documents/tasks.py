"""The documents' background work: what an upload, a new version or a change of category
leaves to a job (`PROCESS`), and the catch-up that finds documents no job has finished.

Processing a version: read its file (decrypted, at most MAX_INDEX_BYTES), extract its
text (bounded: shre.documents.extract), put its words in the full-text index when its
category is indexed, and suggest a category (the classifier, when SHRE_AI is on and the
`ai` extra installed) and the expiry date the text states. Nothing of the text is kept
but the index's words (of indexed categories only). The job is idempotent and does
nothing for a version that is no longer current or a document deleted meanwhile.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import structlog
from anyio import to_thread
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.cache import invalidate_on_commit
from shre.crypto import DataKey
from shre.db import read_only_session
from shre.documents import search, vectors
from shre.documents.cache import DOCUMENTS
from shre.documents.classifiers import classifier_in_use
from shre.documents.errors import Gone
from shre.documents.extract import EXTRACTABLE, ExtractionTimeout, extract_text
from shre.documents.keys import DocumentKeys
from shre.documents.maintenance import PurgeReport, purge, purge_by_category
from shre.documents.models import Document, DocumentVersion
from shre.intelligence import ai_off, find_expiry
from shre.queue import Incomplete, JobQueue
from shre.storage import StorageError
from shre.uow import Invalidated, leave_for_servers, unit_of_work

log = structlog.get_logger("shre.documents")

PROCESS: Final = "documents.process"
CATCH_UP: Final = "documents.catch_up"
MAX_INDEX_BYTES: Final = 20 * 1024 * 1024  # larger files: found by title and filename only
# Documents the catch-up takes per run, and how old an unprocessed one must be (younger
# ones have their job still coming).
CATCH_UP_BATCH: Final = 200
CATCH_UP_AFTER: Final = timedelta(minutes=5)


def lock_of(document_id: uuid.UUID | str) -> str:
    """The queue lock of a document's jobs: one runs at a time per document."""
    return f"document:{document_id}"


async def defer_processing(
    queue: JobQueue, session: AsyncSession, document_id: uuid.UUID, version: int
) -> None:
    """Have version `version` processed once `session` commits."""
    await queue.defer_in(
        session, PROCESS, lock=lock_of(document_id), document_id=document_id, version=version
    )


@dataclass(frozen=True, slots=True)
class _File:
    category: str
    content_type: str
    size: int
    key: str
    backend: str
    dek: DataKey


@dataclass(frozen=True, slots=True)
class Findings:
    search_state: str
    text: str | None
    suggested_category: str | None = None
    confidence: float | None = None
    expires_on: datetime | None = None


async def _current_file(runtime: Runtime, document_id: uuid.UUID, version: int) -> _File | None:
    async with read_only_session(runtime.sessionmaker) as session:
        document = await session.get(Document, document_id)
        if document is None or document.deleted_at is not None:
            return None
        if document.current_version != version:
            return None  # a newer version's job does the work
        row = (
            await session.execute(
                select(DocumentVersion).where(
                    DocumentVersion.document_id == document_id, DocumentVersion.version == version
                )
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        try:
            dek = await DocumentKeys(runtime.keyring).for_document(
                session, document_id, document.employee_id
            )
        except Gone:
            return None  # crypto-shredded: nothing can be read, nothing is to be found
        return _File(
            document.category, row.content_type, row.size, row.object_key, row.storage_backend, dek
        )


async def _text(runtime: Runtime, file: _File) -> tuple[str, str | None]:
    """The file's text and what it means for the index: ("indexed"|"empty"|"too_large"|
    "failed", text or None). A storage failure raises (the job is retried)."""
    if file.content_type not in EXTRACTABLE:
        return "empty", None
    if file.size > MAX_INDEX_BYTES:
        return "too_large", None
    storage = runtime.storages.get(file.backend)
    async with await storage.get_file(file.key, data_key=file.dek) as stream:
        data = await stream.read_all()
    try:
        text = await extract_text(data, file.content_type)
    except (ExtractionTimeout, TimeoutError):
        log.warning("document.extraction_timeout", key=file.key, size=file.size)
        return "failed", None
    except Exception as exc:
        # Parsers raise anything on crafted input (pypdf: PdfReadError, KeyError,
        # RecursionError ...). The document stands; only its words are not searchable.
        log.warning("document.extraction_failed", key=file.key, error_type=type(exc).__name__)
        return "failed", None
    return ("indexed" if search.words(text, 1) else "empty"), text


async def current_text(runtime: Runtime, document_id: uuid.UUID, version: int) -> str | None:
    """The text of the document's version `version`, if it is still the current one and
    has words a parser could read."""
    file = await _current_file(runtime, document_id, version)
    if file is None:
        return None
    _, text = await _text(runtime, file)
    return text


async def _suggest(
    runtime: Runtime, text: str | None
) -> tuple[str | None, float | None, bytes | None]:
    """The classifier's category and confidence, and the text's embedding (float32
    bytes), when the AI features are on."""
    if not text or ai_off(runtime.settings.shre_ai) is not None:
        return None, None, None
    classifier = await classifier_in_use(runtime)

    def run() -> tuple[str, float, bytes]:
        suggestion, vector = classifier.predict_with_vector(text)
        return suggestion.category, suggestion.confidence, vector.tobytes()

    return await to_thread.run_sync(run)


async def process(runtime: Runtime, document_id: str, version: int) -> None:
    """Index and classify version `version` of the document (see the module)."""
    doc_id = uuid.UUID(document_id)
    file = await _current_file(runtime, doc_id, version)
    if file is None:
        log.info("document.process_skipped", document_id=document_id, version=version)
        return
    try:
        state, text = await _text(runtime, file)
    except StorageError as exc:
        log.warning("document.process_read_failed", key=file.key, error_type=type(exc).__name__)
        raise
    category, confidence, vector = await _suggest(runtime, text)
    expires_on = find_expiry(text) if text else None
    async with unit_of_work(runtime.sessionmaker, runtime.cache, command=Invalidated()) as session:
        # Only if the version is still the current one (a row lock on PostgreSQL until
        # the commit); the category as it is now decides the index.
        now_category = (
            await session.execute(
                update(Document)
                .where(
                    Document.id == doc_id,
                    Document.current_version == version,
                    Document.deleted_at.is_(None),
                )
                .values(
                    processed_version=version,
                    suggested_category=category,
                    category_confidence=confidence,
                    suggested_expires_on=expires_on,
                )
                .returning(Document.category)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        if now_category is None:
            return
        if not search.is_indexed(now_category):
            state, text = "excluded", None
        if text is not None and state == "indexed" and not await search.put(session, doc_id, text):
            state = "empty"
        if state != "indexed":
            await search.remove(session, [doc_id])
        elif vector is not None:
            from shre.intelligence.classifier import EMBEDDING_MODEL

            await vectors.put(session, doc_id, version, EMBEDDING_MODEL, vector)
        await session.execute(
            update(Document)
            .where(Document.id == doc_id)
            .values(search_state=state)
            .execution_options(synchronize_session=False)
        )
        invalidate_on_commit(session, DOCUMENTS)
    log.info(
        "document.processed",
        document_id=document_id,
        version=version,
        search_state=state,
        suggested=category is not None,
    )


async def catch_up(runtime: Runtime) -> None:
    """Defer the processing of live documents whose current version no job has finished
    for CATCH_UP_AFTER: those uploaded before processing existed, and with the in-memory
    queue (SQLite) those whose job was lost with the process that held it."""
    before = datetime.now(UTC) - CATCH_UP_AFTER
    async with read_only_session(runtime.sessionmaker) as session:
        rows = (
            await session.execute(
                select(Document.id, Document.current_version)
                .where(
                    Document.deleted_at.is_(None),
                    or_(
                        Document.processed_version.is_(None),
                        Document.processed_version != Document.current_version,
                    ),
                    Document.updated_at < before,
                )
                .order_by(Document.updated_at)
                .limit(CATCH_UP_BATCH)
            )
        ).all()
    deferred = 0
    for document_id, version in rows:
        job = await runtime.queue.defer(
            PROCESS,
            lock=lock_of(document_id),
            queueing_lock=f"catch_up:{document_id}",
            document_id=document_id,
            version=version,
        )
        deferred += job is not None
    if deferred:
        log.info("document.catch_up", deferred=deferred)


async def purge_deleted(runtime: Runtime) -> None:
    """Remove documents deleted more than DOCUMENT_RETENTION_DAYS ago, as `shre documents
    purge` does, and tell the servers' caches."""
    report = await purge(
        runtime.sessionmaker,
        runtime.storages,
        retention_days=runtime.settings.document_retention_days,
    )
    if report.documents:
        await leave_for_servers(runtime.sessionmaker, runtime.cache, {DOCUMENTS})
    log.info("document.purged", documents=report.documents, objects=report.objects)
    if report.failed:
        raise Incomplete(f"{len(report.failed)} documents kept: files not deleted")


async def purge_by_retention(runtime: Runtime, *, now: datetime | None = None) -> PurgeReport:
    """RETENTION_YEARS: documents of each category past their years removed, every
    version on every backend, then the rows (shre.documents.maintenance); the servers'
    caches told. Documents of employees on legal hold are kept."""
    report = await purge_by_category(
        runtime.sessionmaker, runtime.storages, runtime.settings.retention_years, now=now
    )
    if report.documents:
        await leave_for_servers(runtime.sessionmaker, runtime.cache, {DOCUMENTS})
    log.info(
        "document.retention_purged",
        documents=report.documents,
        objects=report.objects,
        failed=len(report.failed),
    )
    return report
