"""Reading the audit log and checking its chain: administrators only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.audit.chain import AuditChain
from shre.audit.models import AuditEvent
from shre.audit.repository import AuditFilters, AuditRepository
from shre.audit.trail import AuditTrail
from shre.audit.verify import VerifyReport, verify_chain
from shre.auditing.schemas import AuditEventOut
from shre.kit.errors import Forbidden, InvalidInput
from shre.kit.export import Batches, check_size, export_target, in_batches
from shre.kit.pagination import PageParams
from shre.policy import Principal, may_read_audit

EXPORT = "audit.export"
# An export's columns: the list's fields, in its order.
EXPORT_COLUMNS = tuple(AuditEventOut.model_fields)


def authorize(actor: Principal) -> None:
    if not may_read_audit(actor):
        raise Forbidden("Only administrators read the audit log", code="admin_only")


def _check_range(filters: AuditFilters) -> None:
    if filters.since and filters.until and filters.since >= filters.until:
        raise InvalidInput(
            "since must be before until",
            code="invalid_range",
            errors=[{"field": "until", "location": "query", "message": "not after since"}],
        )


class AuditService:
    def __init__(self, session: AsyncSession, audit: AuditTrail) -> None:
        self.session = session
        self.audit = audit
        self.repo = AuditRepository(session)

    async def list(
        self, actor: Principal, params: PageParams, filters: AuditFilters
    ) -> tuple[list[AuditEvent], int]:
        authorize(actor)
        _check_range(filters)
        return await self.repo.list(params, filters)

    async def export(
        self,
        actor: Principal,
        sort: str | None,
        filters: AuditFilters,
        *,
        file_format: str,
        max_rows: int,
    ) -> tuple[Sequence[str], Batches]:
        """Every event the list pages through (its filters and sort): the columns, and the
        rows in batches. Recorded first, as one `audit.export` event, which the file does
        not hold (the events are those that matched before it)."""
        authorize(actor)
        _check_range(filters)
        ids = await self.repo.ids_in_order(sort, filters, limit=max_rows + 1)
        check_size(len(ids), max_rows)
        await self.audit.record_read(
            EXPORT,
            target_type="audit_event",
            target_id=export_target(file_format, len(ids)),
            fields=EXPORT_COLUMNS,
        )
        return EXPORT_COLUMNS, in_batches(
            ids, self.repo.in_order, _row, after=self.session.expunge_all
        )

    @staticmethod
    async def verify(
        actor: Principal, sessionmaker: async_sessionmaker[AsyncSession], chain: AuditChain
    ) -> VerifyReport:
        authorize(actor)
        return await verify_chain(sessionmaker, chain.sealer)


def _row(event: AuditEvent) -> dict[str, Any]:
    return AuditEventOut.model_validate(event).model_dump()
