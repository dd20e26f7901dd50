"""`shre storage migrate`: move every document file to the other backend.

For each version still on the source backend: stream the object from the source to the
target (decrypting or encrypting with its owner's data key on the local side), check the
SHA-256 the target computed on the way *and* read the stored copy back and hash it again,
and only then switch the version's `storage_backend` (a compare-and-swap, in its own
transaction). The source copy is deleted only with `delete_source`, after that switch.

Resumable and idempotent: it picks only versions still on the source, so an interrupted
run (a crash, a failure, `limit`) is finished by running it again, and a version copied
but not switched yet is simply copied again. With `delete_source`, a last pass also
deletes source copies that earlier runs left behind for versions already switched.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.documents.errors import Gone
from shre.documents.keys import DocumentKeys
from shre.documents.models import Document, DocumentVersion
from shre.storage import Backend, Storage, StorageError, StorageSet

log = structlog.get_logger("shre.storage")


@dataclass
class TransferReport:
    source: str
    target: str
    copied: int = 0  # copied, verified and switched
    bytes: int = 0
    sources_deleted: int = 0
    skipped: list[str] = field(default_factory=list)  # cannot be moved (key destroyed)
    failed: list[str] = field(default_factory=list)
    remaining: int = 0  # still on the source when the run ended

    @property
    def complete(self) -> bool:
        return self.remaining == 0 and not self.failed


@dataclass(frozen=True, slots=True)
class _Item:
    id: uuid.UUID
    document_id: uuid.UUID
    employee_id: uuid.UUID | None
    key: str
    content_type: str
    size: int
    sha256: str


class VerificationFailed(Exception):
    pass


async def count_on(sessionmaker: async_sessionmaker[AsyncSession], backend: str) -> int:
    async with sessionmaker() as session:
        stmt = select(func.count()).where(DocumentVersion.storage_backend == backend)
        return int((await session.execute(stmt)).scalar_one())


async def transfer(
    sessionmaker: async_sessionmaker[AsyncSession],
    stores: StorageSet,
    keys: DocumentKeys,
    target: Backend,
    *,
    delete_source: bool = False,
    limit: int | None = None,
    batch_size: int = 50,
    progress: Callable[[int], None] | None = None,
) -> TransferReport:
    source: Backend = "local" if target == "s3" else "s3"
    report = TransferReport(source, target)
    src, dst = stores.get(source), stores.get(target)
    after: uuid.UUID | None = None
    handled = 0
    while limit is None or handled < limit:
        batch = await _next_batch(sessionmaker, source, after, batch_size)
        if not batch:
            break
        for item in batch:
            if limit is not None and handled >= limit:
                break
            after = item.id
            handled += 1
            try:
                await _move(sessionmaker, keys, src, dst, item, source, target)
            except Gone:
                report.skipped.append(f"{item.key}: the owner's data key was destroyed")
                continue
            except (StorageError, VerificationFailed) as exc:
                report.failed.append(f"{item.key}: {exc}")
                log.error("storage.migrate_failed", key=item.key, error=str(exc))
                continue
            report.copied += 1
            report.bytes += item.size
            if delete_source:
                await src.delete_file(item.key)
                report.sources_deleted += 1
            if progress is not None:
                progress(report.copied)
    if delete_source and (limit is None or handled < limit):
        report.sources_deleted += await _delete_leftovers(sessionmaker, src, target)
    report.remaining = await count_on(sessionmaker, source)
    log.info(
        "storage.migrated",
        source=source,
        target=target,
        copied=report.copied,
        remaining=report.remaining,
        failed=len(report.failed),
    )
    return report


async def _next_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    source: str,
    after: uuid.UUID | None,
    size: int,
) -> list[_Item]:
    async with sessionmaker() as session:
        stmt = (
            select(
                DocumentVersion.id,
                DocumentVersion.document_id,
                Document.employee_id,
                DocumentVersion.object_key,
                DocumentVersion.content_type,
                DocumentVersion.size,
                DocumentVersion.sha256,
            )
            .join(Document, Document.id == DocumentVersion.document_id)
            .where(DocumentVersion.storage_backend == source)
            .order_by(DocumentVersion.id)
            .limit(size)
        )
        if after is not None:
            stmt = stmt.where(DocumentVersion.id > after)
        return [_Item(*row) for row in (await session.execute(stmt)).all()]


async def _move(
    sessionmaker: async_sessionmaker[AsyncSession],
    keys: DocumentKeys,
    src: Storage,
    dst: Storage,
    item: _Item,
    source: str,
    target: str,
) -> None:
    async with sessionmaker() as session:
        dek = await keys.for_document(session, item.document_id, item.employee_id)
    async with await src.get_file(item.key, data_key=dek) as stream:
        info = await dst.upload_file(
            item.key, stream, item.content_type, data_key=dek, max_size=item.size
        )
    try:
        if info.sha256 != item.sha256 or info.size != item.size:
            raise VerificationFailed("the copy's SHA-256 differs from the recorded one")
        digest = hashlib.sha256()
        async with await dst.get_file(item.key, data_key=dek) as stored:
            async for chunk in stored:
                digest.update(chunk)
        if digest.hexdigest() != item.sha256:
            raise VerificationFailed("the stored copy reads back with another SHA-256")
    except BaseException:
        await dst.delete_file(item.key)
        raise
    async with sessionmaker() as session, session.begin():
        switched = await session.execute(
            update(DocumentVersion)
            .where(DocumentVersion.id == item.id, DocumentVersion.storage_backend == source)
            .values(storage_backend=target)
            .execution_options(synchronize_session=False)
        )
    if switched.rowcount != 1:  # type: ignore[attr-defined]
        # Purged (or moved by another run) meanwhile: the copy belongs to nobody.
        await dst.delete_file(item.key)
        raise VerificationFailed("the version changed while it was copied")


async def _delete_leftovers(
    sessionmaker: async_sessionmaker[AsyncSession], src: Storage, target: str
) -> int:
    """Source copies of versions that now live on the target (a run without
    --delete-source, or one interrupted between the switch and the delete)."""
    async with sessionmaker() as session:
        stmt = select(DocumentVersion.object_key).where(DocumentVersion.storage_backend == target)
        moved = set((await session.execute(stmt)).scalars())
    deleted = 0
    async for item in src.iter_objects():
        if item.key in moved:
            await src.delete_file(item.key)
            deleted += 1
    return deleted
