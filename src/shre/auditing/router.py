from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from shre.api.deps import CurrentUser, RuntimeDep, reading
from shre.audit.repository import AuditFilters
from shre.auditing.schemas import AuditEventOut, VerifyOut
from shre.auditing.service import AuditService
from shre.kit.export import FILE_RESPONSES, FormatParam, list_file
from shre.kit.pagination import Page
from shre.kit.query import PagedQuery, documented, query

router = APIRouter(prefix="/audit", tags=["audit"])


async def _reader(request: Request) -> AuditService:
    """The service for the list: a session that only reads, no `yield`."""
    return AuditService(*reading(request))


Reader = Annotated[AuditService, Depends(_reader)]


class AuditQuery(PagedQuery):
    actor_id: uuid.UUID | None = None
    action: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$",
        description="`auth.login`, or every action of a domain: `auth.*`",
    )
    target_type: str | None = Field(None, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    target_id: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The event's target, or one of the records a list event covers",
    )
    since: datetime | None = Field(None, description="ISO-8601; without an offset, UTC")
    until: datetime | None = Field(None, description="ISO-8601; without an offset, UTC")
    format: FormatParam = None

    def filters(self) -> AuditFilters:
        return AuditFilters(
            actor_id=self.actor_id,
            action=self.action,
            target_type=self.target_type,
            target_id=self.target_id,
            since=_utc(self.since),
            until=_utc(self.until),
        )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get(
    "",
    response_model=Page[AuditEventOut],
    openapi_extra=documented(AuditQuery),
    responses=FILE_RESPONSES,
)
async def list_events(
    request: Request,
    principal: CurrentUser,
    service: Reader,
    params: Annotated[AuditQuery, Depends(query(AuditQuery))],
) -> Page[AuditEventOut] | Response:
    """Audit events, newest first (`sort`: `at`, `seq`, `action`); `since` inclusive,
    `until` exclusive. Administrators only. With `format`, every matching event as a CSV
    or XLSX file (`page` and `page_size` do not apply), itself an audited export."""
    if params.format is not None:
        return await list_file(request, "audit", principal, service, params, params.format)
    events, total = await service.list(principal, params.paging, params.filters())
    return Page(
        items=[AuditEventOut.model_validate(e) for e in events],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.get("/verify")
async def verify(principal: CurrentUser, runtime: RuntimeDep) -> VerifyOut:
    """Walk the hash chain from the latest checkpoint: is every event intact, in order,
    and the newest one the signed head? Administrators only."""
    report = await AuditService.verify(principal, runtime.sessionmaker, runtime.audit)
    return VerifyOut.model_validate(report)
