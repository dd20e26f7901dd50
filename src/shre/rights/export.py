"""The access export (GDPR art. 15 and 20): everything shre holds about one person as a
ZIP, streamed as it is made (stream-zip: no whole archive in memory or on disk).

- `employee.json`: every field of the record, sensitive ones decrypted (null once the data
  key is destroyed), its legal hold and erasure state, the history of its tracked fields
  (salary changes decrypted), the linked user account, and each document's metadata
  with every version and where its file is in the archive;
- `documents/<document id>/v<N>-<name>`: every version's file, decrypted, read from its
  backend as the archive is written;
- `audit.json`: the audit events whose target is the person, one of their documents or
  their user account (ids, actions, field names: the log holds no values).

Everything but the files and the audit events is read before the first byte goes out
(and the export is audited then); those are read through the request's read-only
session as the archive is written.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stream_zip import ZIP_64, async_stream_zip

from shre.audit.chain import shown
from shre.audit.repository import AuditFilters, AuditRepository
from shre.crypto import DataKey
from shre.documents.keys import DocumentKeys
from shre.documents.models import Document, DocumentVersion
from shre.employees.models import Employee
from shre.employees.repository import EmployeeRepository
from shre.employees.rights import rights_state
from shre.employees.schemas import FIELD_ORDER
from shre.employees.vault import EmployeeVault
from shre.kit.errors import DomainError
from shre.policy import DIRECTORY_FIELDS, EMPLOYMENT_FIELDS, SENSITIVE_FIELDS
from shre.storage import StorageSet, safe_filename
from shre.users.models import User

FILE_MODE = 0o600


def _json(value: Any) -> bytes:
    return orjson.dumps(
        value, option=orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS, default=str
    )


@dataclass(frozen=True, slots=True)
class StoredFile:
    path: str  # in the archive
    backend: str
    key: str
    size: int


@dataclass(slots=True)
class AccessExport:
    """What is read before the stream starts; `stream()` writes the archive."""

    employee_id: uuid.UUID
    record: dict[str, Any]
    files: list[StoredFile]
    data_key: DataKey | None
    audit_targets: list[str]
    document_ids: list[uuid.UUID]

    @property
    def filename(self) -> str:
        return f"employee-{self.employee_id}-export.zip"

    def stream(self, session: AsyncSession, stores: StorageSet) -> AsyncIterable[bytes]:
        return async_stream_zip(self._members(session, stores))

    async def _members(
        self, session: AsyncSession, stores: StorageSet
    ) -> AsyncIterator[tuple[str, datetime, int, Any, AsyncIterator[bytes]]]:
        now = datetime.now(UTC)
        yield "employee.json", now, FILE_MODE, ZIP_64, _once(_json(self.record))
        for file in self.files:
            yield file.path, now, FILE_MODE, ZIP_64, self._file(stores, file)
        yield "audit.json", now, FILE_MODE, ZIP_64, self._audit(session)

    async def _file(self, stores: StorageSet, file: StoredFile) -> AsyncIterator[bytes]:
        assert self.data_key is not None  # noqa: S101 - files are listed only with their key
        storage = stores.get(file.backend)
        async with await storage.get_file(file.key, data_key=self.data_key) as stream:
            async for chunk in stream:
                yield chunk

    async def _audit(self, session: AsyncSession) -> AsyncIterator[bytes]:
        """The events about the person, target by target, each in chain order (an event
        covering two of the targets is written once)."""
        repo = AuditRepository(session)
        seen: set[uuid.UUID] = set()
        yield b"["
        first = True
        for target in self.audit_targets:
            async for row in repo.stream(AuditFilters(target_id=target)):
                if row["id"] in seen:
                    continue
                seen.add(row["id"])
                yield (b"\n" if first else b",\n") + orjson.dumps(shown(row), default=str)
                first = False
        yield b"\n]\n"


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def prepare(
    session: AsyncSession,
    vault: EmployeeVault,
    keys: DocumentKeys,
    employee: Employee,
    *,
    exported_by: uuid.UUID | None,
) -> AccessExport:
    """Read everything but the files and the audit events (see the module)."""
    fields = {name: getattr(employee, name) for name in DIRECTORY_FIELDS | EMPLOYMENT_FIELDS}
    fields.update(vault.open(employee, SENSITIVE_FIELDS))
    record_view = {name: fields.get(name) for name in FIELD_ORDER}
    record_view.update(rights_state(employee))
    history = await _history(session, vault, employee)
    user = (
        await session.execute(select(User).where(User.employee_id == employee.id))
    ).scalar_one_or_none()
    data_key: DataKey | None = None
    if employee.dek_wrapped is not None:
        try:
            data_key = await keys.employee_key(session, employee.id)
        except DomainError:
            data_key = None
    documents, files = await _documents(session, employee.id, readable=data_key is not None)
    targets = [str(employee.id), *(str(d["id"]) for d in documents)]
    if user is not None:
        targets.append(str(user.id))
    record = {
        "exported_at": datetime.now(UTC),
        "exported_by": exported_by,
        "employee": record_view,
        "history": history,
        "user_account": None if user is None else _account(user),
        "documents": documents,
    }
    return AccessExport(
        employee.id,
        record,
        files,
        data_key,
        targets,
        [uuid.UUID(str(d["id"])) for d in documents],
    )


async def _history(
    session: AsyncSession, vault: EmployeeVault, employee: Employee
) -> list[dict[str, Any]]:
    changes = await EmployeeRepository(session).history(employee.id)
    box = None
    if employee.dek_wrapped is not None and any(c.field == "salary" for c in changes):
        box = vault.box(employee)
    out = []
    for change in changes:
        old, new = vault.open_change(box, change)
        out.append(
            {
                "field": change.field,
                "old_value": old,
                "new_value": new,
                "effective_date": change.effective_date,
                "changed_by": change.changed_by,
                "changed_at": change.changed_at,
            }
        )
    return out


def _account(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "is_active": user.is_active,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }


async def _documents(
    session: AsyncSession, employee_id: uuid.UUID, *, readable: bool
) -> tuple[list[dict[str, Any]], list[StoredFile]]:
    docs = list(
        (
            await session.execute(
                select(Document)
                .where(Document.employee_id == employee_id)
                .order_by(Document.created_at, Document.id)
            )
        ).scalars()
    )
    versions: dict[uuid.UUID, list[DocumentVersion]] = {}
    if docs:
        stmt = (
            select(DocumentVersion)
            .where(DocumentVersion.document_id.in_([d.id for d in docs]))
            .order_by(DocumentVersion.document_id, DocumentVersion.version)
        )
        for version in (await session.execute(stmt)).scalars():
            versions.setdefault(version.document_id, []).append(version)
    out: list[dict[str, Any]] = []
    files: list[StoredFile] = []
    for doc in docs:
        listed = []
        for version in versions.get(doc.id, []):
            path = _path(doc.id, version.version, version.filename) if readable else None
            if path is not None:
                files.append(
                    StoredFile(path, version.storage_backend, version.object_key, version.size)
                )
            listed.append(
                {
                    "version": version.version,
                    "filename": version.filename,
                    "content_type": version.content_type,
                    "size": version.size,
                    "sha256": version.sha256,
                    "uploaded_by": version.uploaded_by,
                    "created_at": version.created_at,
                    # null: the data key is destroyed, the file cannot be opened
                    "file": path,
                }
            )
        out.append(
            {
                "id": doc.id,
                "title": doc.title,
                "category": doc.category,
                "tags": doc.tags,
                "expires_on": doc.expires_on,
                "current_version": doc.current_version,
                "created_at": doc.created_at,
                "deleted_at": doc.deleted_at,
                "versions": listed,
            }
        )
    return out, files


def _path(document_id: uuid.UUID, version: int, filename: str) -> str:
    # The name as the uploader gave it, made safe: no directories, no control characters.
    name = safe_filename(filename).replace("/", "_")
    return f"documents/{document_id}/v{version}-{name}"


def audit_fields() -> Iterable[str]:
    """What an access export reads (names only), for its audit event."""
    return [*sorted(SENSITIVE_FIELDS), "history", "documents", "audit"]
