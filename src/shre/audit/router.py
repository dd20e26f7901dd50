from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from shre.audit.repository import AuditFilters
from shre.audit.schemas import AuditEventOut, VerifyOut
from shre.audit.service import AuditService
from shre.kit.deps import CurrentUser, DbSession, RuntimeDep
from shre.kit.pagination import Page, PageQuery

router = APIRouter(prefix="/audit", tags=["audit"])

Action = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$",
        description="`auth.login`, or every action of a domain: `auth.*`",
    ),
]
TargetType = Annotated[str | None, Query(max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]
TargetId = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="The event's target, or one of the records a list event covers",
    ),
]
When = Annotated[datetime | None, Query(description="ISO-8601; without an offset, UTC")]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@router.get("")
async def list_events(
    principal: CurrentUser,
    session: DbSession,
    paging: PageQuery,
    actor_id: uuid.UUID | None = None,
    action: Action = None,
    target_type: TargetType = None,
    target_id: TargetId = None,
    since: When = None,
    until: When = None,
) -> Page[AuditEventOut]:
    """Audit events, newest first (`sort`: `at`, `seq`, `action`); `since` inclusive,
    `until` exclusive. Administrators only."""
    filters = AuditFilters(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=_utc(since),
        until=_utc(until),
    )
    events, total = await AuditService(session).list(principal, paging, filters)
    return Page(
        items=[AuditEventOut.model_validate(e) for e in events],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get("/verify")
async def verify(principal: CurrentUser, runtime: RuntimeDep) -> VerifyOut:
    """Walk the hash chain from the latest checkpoint: is every event intact, in order,
    and the newest one the signed head? Administrators only."""
    report = await AuditService.verify(principal, runtime.sessionmaker, runtime.audit)
    return VerifyOut.model_validate(report)
