"""Work on documents outside requests: the purge of deleted documents after their
retention, the consistency check between rows and stored objects, expiring documents."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.audit import AuditTrail
from shre.documents.models import Document, DocumentVersion
from shre.documents.repository import (
    DocumentRepository,
    deleted_before,
    remove_rows,
    uploaded_before,
)
from shre.storage import BACKENDS, ListedObject, StorageError, StorageSet

log = structlog.get_logger("shre.documents")
ORPHAN_GRACE = timedelta(hours=1)  # an upload in flight has its object before its row


@dataclass
class PurgeReport:
    documents: int = 0
    objects: int = 0
    failed: list[str] = field(default_factory=list)
    by_category: dict[str, int] = field(default_factory=dict)


Finder = Callable[[AsyncSession, int], Awaitable[list[Document]]]


async def purge(
    sessionmaker: async_sessionmaker[AsyncSession],
    stores: StorageSet,
    *,
    retention_days: int,
    now: datetime | None = None,
    batch_size: int = 100,
    progress: Callable[[int], None] | None = None,
) -> PurgeReport:
    """Remove documents deleted more than `retention_days` ago: every version's object,
    then the rows (in that order: an interrupted purge leaves rows whose objects are
    partly gone, which the next purge finishes, never objects nobody knows of). A
    document whose objects cannot be deleted keeps its rows and is tried again next time.
    Documents of employees on legal hold are kept."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    report = PurgeReport()

    async def find(session: AsyncSession, limit: int) -> list[Document]:
        return await deleted_before(session, cutoff, limit)

    await _remove_found(
        sessionmaker,
        stores,
        find,
        report,
        action="document.purge",
        batch_size=batch_size,
        progress=progress,
    )
    return report


def years_before(now: datetime, years: int) -> datetime:
    """The same day and time `years` years earlier (29 February: the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


async def purge_by_category(
    sessionmaker: async_sessionmaker[AsyncSession],
    stores: StorageSet,
    retention_years: Mapping[str, int],
    *,
    now: datetime | None = None,
    batch_size: int = 100,
) -> PurgeReport:
    """RETENTION_YEARS: remove the documents (live or deleted) of each category first
    uploaded more than its years ago, every version's object on every backend and then
    the rows, as the purge does. Documents of employees on legal hold are kept."""
    moment = now or datetime.now(UTC)
    report = PurgeReport()
    for category, years in sorted(retention_years.items()):
        cutoff = years_before(moment, years)
        before = report.documents

        async def find(
            session: AsyncSession, limit: int, c: str = category, cut: datetime = cutoff
        ) -> list[Document]:
            return await uploaded_before(session, c, cut, limit)

        await _remove_found(
            sessionmaker,
            stores,
            find,
            report,
            action="document.retention_purge",
            fields=[category],
            everywhere=True,
            batch_size=batch_size,
        )
        report.by_category[category] = report.documents - before
    return report


async def _remove_found(
    sessionmaker: async_sessionmaker[AsyncSession],
    stores: StorageSet,
    find: Finder,
    report: PurgeReport,
    *,
    action: str,
    fields: Sequence[str] = (),
    everywhere: bool = False,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Remove what `find` finds, batch by batch: objects first, then the rows with one
    audit event per batch. `everywhere`: each object is deleted from every configured
    backend and checked gone (not only from the one its row names)."""
    skipped: set[uuid.UUID] = set()
    while True:
        async with sessionmaker() as session:
            batch = [
                d for d in await find(session, batch_size + len(skipped)) if d.id not in skipped
            ][:batch_size]
            if not batch:
                return
            versions = await _versions_of(session, [d.id for d in batch])
        done: list[uuid.UUID] = []
        for document in batch:
            try:
                for version in versions.get(document.id, []):
                    if everywhere:
                        await delete_everywhere(stores, version.object_key)
                    else:
                        await stores.get(version.storage_backend).delete_file(version.object_key)
                    report.objects += 1
            except StorageError as exc:
                skipped.add(document.id)
                report.failed.append(f"{document.id}: {exc}")
                log.error("document.purge_failed", document_id=str(document.id), error=str(exc))
                continue
            done.append(document.id)
        if done:
            async with sessionmaker() as session, session.begin():
                await remove_rows(session, done)
                audit = AuditTrail.system(session, sessionmaker)
                await audit.record(action, target_type="document", target_ids=done, fields=fields)
            report.documents += len(done)
            log.info("document.purged", documents=len(done), action=action)
        if progress is not None:
            progress(report.documents)


class NotDeleted(StorageError):
    """An object still answers after its deletion."""


async def delete_everywhere(stores: StorageSet, key: str) -> None:
    """Delete the object at `key` from every configured backend (a copy a migration left
    included) and check that each no longer has it: StorageError otherwise."""
    for backend in BACKENDS:
        if not stores.configured(backend):
            continue
        storage = stores.get(backend)
        try:
            await storage.delete_file(key)
        except OSError as exc:  # a local file the process may not remove
            raise NotDeleted(f"{backend}: {type(exc).__name__}") from exc
        if await storage.exists(key):
            raise NotDeleted(f"{backend}: the object is still there after its deletion")


async def forget_documents(session: AsyncSession, document_ids: Sequence[uuid.UUID]) -> None:
    """Remove the rows of documents whose objects are gone (an erasure's last step)."""
    from shre.cache import invalidate_on_commit
    from shre.documents.cache import DOCUMENTS

    if document_ids:
        await remove_rows(session, document_ids)
    invalidate_on_commit(session, DOCUMENTS)


async def _versions_of(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentVersion]]:
    stmt = select(DocumentVersion).where(DocumentVersion.document_id.in_(ids))
    out: dict[uuid.UUID, list[DocumentVersion]] = {}
    for version in (await session.execute(stmt)).scalars():
        out.setdefault(version.document_id, []).append(version)
    return out


@dataclass(frozen=True, slots=True)
class StoredRow:
    document_id: uuid.UUID
    version: int
    backend: str
    key: str


@dataclass
class CheckReport:
    """What `shre storage check` found (and, with --repair, removed)."""

    rows: int = 0
    objects: dict[str, int] = field(default_factory=dict)
    missing: list[StoredRow] = field(default_factory=list)  # rows whose object is gone
    orphans: list[tuple[str, ListedObject]] = field(default_factory=list)  # no row at all
    copies: list[tuple[str, ListedObject]] = field(default_factory=list)  # left by a migration
    repaired: list[tuple[str, str]] = field(default_factory=list)  # orphans deleted
    unreachable: list[str] = field(default_factory=list)  # backends that did not answer

    @property
    def ok(self) -> bool:
        return not (self.missing or self.orphans or self.unreachable)


async def check(
    sessionmaker: async_sessionmaker[AsyncSession],
    stores: StorageSet,
    *,
    repair: bool = False,
    now: datetime | None = None,
    grace: timedelta = ORPHAN_GRACE,
) -> CheckReport:
    """Compare every version row with the objects of every configured backend.

    Rows without their object are reported (a lost file is for a person to look into).
    Objects without any row are orphans, from an upload that crashed between storing and
    recording, or a delete that did not finish; `repair` deletes those older than `grace`
    (younger ones may be uploads in flight). An object whose row says it lives on the
    other backend is a copy a migration left (`storage migrate --delete-source`)."""
    report = CheckReport()
    async with sessionmaker() as session:
        result = await session.execute(
            select(
                DocumentVersion.document_id,
                DocumentVersion.version,
                DocumentVersion.storage_backend,
                DocumentVersion.object_key,
            )
        )
        rows = [StoredRow(*r) for r in result.all()]
    report.rows = len(rows)
    where = {row.key: row.backend for row in rows}
    listed: dict[str, dict[str, ListedObject]] = {}
    for backend in BACKENDS:
        in_use = backend == stores.primary.backend or any(r.backend == backend for r in rows)
        if not in_use or not stores.configured(backend):
            if in_use:
                report.unreachable.append(f"{backend}: not configured")
            continue
        try:
            storage = stores.get(backend)
            listed[backend] = {o.key: o async for o in storage.iter_objects()}
        except StorageError as exc:
            report.unreachable.append(f"{backend}: {exc}")
            continue
        report.objects[backend] = len(listed[backend])
    for row in rows:
        if row.backend in listed and row.key not in listed[row.backend]:
            report.missing.append(row)
    cutoff = (now or datetime.now(UTC)) - grace
    for name, objects in listed.items():
        for key, item in sorted(objects.items()):
            owner = where.get(key)
            if owner == name:
                continue
            if owner is not None:
                report.copies.append((name, item))
                continue
            report.orphans.append((name, item))
            if repair and item.modified < cutoff:
                await stores.get(name).delete_file(key)
                report.repaired.append((name, key))
                log.info("storage.orphan_deleted", backend=name, key=key)
    return report


async def expiring(
    session: AsyncSession, within_days: int, today: date | None = None
) -> list[tuple[Document, str | None]]:
    """Live documents that expire within `within_days` days (or have expired)."""
    until = (today or date.today()) + timedelta(days=within_days)
    return await DocumentRepository(session).expiring(until)
