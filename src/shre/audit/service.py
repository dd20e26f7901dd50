"""Reading the audit log and checking its chain: administrators only."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.audit.chain import AuditChain
from shre.audit.models import AuditEvent
from shre.audit.repository import AuditFilters, AuditRepository
from shre.audit.verify import VerifyReport, verify_chain
from shre.auth.policy import Principal, may_read_audit
from shre.kit.errors import Forbidden, InvalidInput
from shre.kit.pagination import PageParams


def authorize(actor: Principal) -> None:
    if not may_read_audit(actor):
        raise Forbidden("Only administrators read the audit log", code="admin_only")


class AuditService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = AuditRepository(session)

    async def list(
        self, actor: Principal, params: PageParams, filters: AuditFilters
    ) -> tuple[list[AuditEvent], int]:
        authorize(actor)
        if filters.since and filters.until and filters.since >= filters.until:
            raise InvalidInput(
                "since must be before until",
                code="invalid_range",
                errors=[{"field": "until", "location": "query", "message": "not after since"}],
            )
        return await self.repo.list(params, filters)

    @staticmethod
    async def verify(
        actor: Principal, sessionmaker: async_sessionmaker[AsyncSession], chain: AuditChain
    ) -> VerifyReport:
        authorize(actor)
        return await verify_chain(sessionmaker, chain.sealer)
