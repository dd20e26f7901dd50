from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from shre.audit.repository import AuditFilters
from shre.audit.schemas import AuditEventOut, VerifyOut
from shre.audit.service import AuditService
from shre.kit.deps import CurrentUser, DbSession, RuntimeDep
from shre.kit.pagination import Page
from shre.kit.query import PagedQuery, documented, query

router = APIRouter(prefix="/audit", tags=["audit"])


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


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get("", openapi_extra=documented(AuditQuery))
async def list_events(
    principal: CurrentUser,
    session: DbSession,
    params: Annotated[AuditQuery, Depends(query(AuditQuery))],
) -> Page[AuditEventOut]:
    """Audit events, newest first (`sort`: `at`, `seq`, `action`); `since` inclusive,
    `until` exclusive. Administrators only."""
    filters = AuditFilters(
        actor_id=params.actor_id,
        action=params.action,
        target_type=params.target_type,
        target_id=params.target_id,
        since=_utc(params.since),
        until=_utc(params.until),
    )
    events, total = await AuditService(session).list(principal, params.paging, filters)
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
