"""`/employees/{id}/export`, `/erase` and `/legal-hold` (hr, admin)."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.deps import Audit, CurrentUser, DbSession, reading
from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.rights import service
from shre.rights.schemas import ErasureOut, ReasonIn, RightsStateOut
from shre.storage import content_disposition
from shre.uow import unit_of_work

router = APIRouter(prefix="/employees", tags=["rights"])

ZIP_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A ZIP: employee.json, documents/<id>/v<N>-<name>, audit.json",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get("/{employee_id}/export", response_class=StreamingResponse, responses=ZIP_RESPONSE)
async def access_export(
    employee_id: uuid.UUID, request: Request, principal: CurrentUser
) -> StreamingResponse:
    """Everything held about the person, for an access or portability request: the record
    with every field decrypted and its history, every version of every document, and the
    audit events about them. Streamed; audited before the first byte (hr, admin)."""
    runtime: Runtime = request.app.state.runtime
    session, audit = reading(request)
    export = await service.start_export(runtime, session, audit, principal, employee_id)
    return StreamingResponse(
        export.stream(session, runtime.storages),
        media_type="application/zip",
        headers={
            "Content-Disposition": content_disposition(export.filename),
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/{employee_id}/erase",
    response_model=ErasureOut,
    responses={
        409: {"description": "`legal_hold`, or `not_terminated`"},
        503: {"description": "`erasure_incomplete`: begun, files left; ask again (Retry-After)"},
    },
)
async def erase(
    employee_id: uuid.UUID, body: ReasonIn, request: Request, principal: CurrentUser
) -> ErasureOut:
    """Erase a former employee without a legal hold: the data key destroyed, every file of
    every version deleted from every backend, the directory fields replaced by a
    pseudonym, the user account ended; dates, department and job title stay. Asking
    again finishes an erasure a backend interrupted; an erased employee answers its state."""
    runtime: Runtime = request.app.state.runtime

    def unit() -> AbstractAsyncContextManager[AsyncSession]:
        return unit_of_work(runtime.sessionmaker, runtime.cache)

    def audit_for(session: AsyncSession) -> AuditTrail:
        return AuditTrail.for_request(request, session, runtime.sessionmaker)

    _, denied = reading(request)
    done = await service.erase(
        runtime, unit, audit_for, denied, principal, employee_id, body.reason
    )
    async with runtime.sessionmaker() as fresh:
        found = await service.state_of_id(fresh, employee_id)
    return ErasureOut(
        **found,
        state=done.state,
        documents_deleted=done.documents,
        objects_deleted=done.objects,
        models_deleted=done.models,
    )


@router.put("/{employee_id}/legal-hold", response_model=RightsStateOut)
async def set_legal_hold(
    employee_id: uuid.UUID, body: ReasonIn, principal: CurrentUser, session: DbSession, audit: Audit
) -> RightsStateOut:
    """Put the employee on legal hold (or change its reason): no erasure, no document
    deletion, no retention purge while it is on (hr, admin)."""
    found = await service.set_legal_hold(session, audit, principal, employee_id, body.reason)
    return RightsStateOut(**found)


@router.delete("/{employee_id}/legal-hold", response_model=RightsStateOut)
async def clear_legal_hold(
    employee_id: uuid.UUID, principal: CurrentUser, session: DbSession, audit: Audit
) -> RightsStateOut:
    """Lift the legal hold (none: the state as it is) (hr, admin)."""
    found = await service.clear_legal_hold(session, audit, principal, employee_id)
    return RightsStateOut(**found)
