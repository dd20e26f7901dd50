"""All SQL for reading the audit log (writing it is the chain's: shre.audit.chain)."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Select,
    SQLColumnExpression,
    String,
    UnaryExpression,
    cast,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import type_coerce

from shre.audit.models import AuditEvent
from shre.audit.verify import EVENT_COLUMNS
from shre.kit.pagination import PageParams, ids_in_order, ordering, paginate, rows_in_order
from shre.kit.sql import LIKE_ESCAPE

SORTABLE: dict[str, SQLColumnExpression[Any]] = {
    "at": AuditEvent.at,
    "seq": AuditEvent.seq,
    "action": AuditEvent.action,
}


@dataclass(frozen=True, slots=True)
class AuditFilters:
    actor_id: uuid.UUID | None = None
    # Exact (`auth.login`), or every action of a domain (`auth.*`).
    action: str | None = None
    target_type: str | None = None
    # Matches the event's target and the records a list event covers (target_ids).
    target_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _target(dialect: str, target_id: str) -> ColumnElement[bool]:
    try:
        as_uuid = str(uuid.UUID(target_id))
    except ValueError:
        return AuditEvent.target_id == target_id
    if dialect == "postgresql":
        covered = type_coerce(AuditEvent.target_ids, JSONB).contains([as_uuid])
    else:
        covered = cast(AuditEvent.target_ids, String).like(f'%"{as_uuid}"%')
    return or_(AuditEvent.target_id == as_uuid, covered)


def apply_filters(stmt: Select[Any], filters: AuditFilters, dialect: str) -> Select[Any]:
    if filters.actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action is not None:
        if filters.action.endswith(".*"):
            prefix = _escape_like(filters.action[:-1])
            stmt = stmt.where(AuditEvent.action.like(prefix + "%", escape=LIKE_ESCAPE))
        else:
            stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.target_type is not None:
        stmt = stmt.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id is not None:
        stmt = stmt.where(_target(dialect, filters.target_id))
    if filters.since is not None:
        stmt = stmt.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditEvent.at < filters.until)
    return stmt


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def list(self, params: PageParams, filters: AuditFilters) -> tuple[list[AuditEvent], int]:
        stmt = apply_filters(select(AuditEvent), filters, self._dialect)
        return await paginate(self.session, stmt, params, _order(params.sort))

    async def ids_in_order(
        self, sort: str | None, filters: AuditFilters, *, limit: int
    ) -> builtins.list[uuid.UUID]:
        stmt = apply_filters(select(AuditEvent.id), filters, self._dialect)
        return await ids_in_order(self.session, stmt, _order(sort), limit)

    async def in_order(self, ids: Sequence[uuid.UUID]) -> builtins.list[AuditEvent]:
        return await rows_in_order(self.session, AuditEvent, ids)

    async def stream(
        self, filters: AuditFilters, *, batch: int = 1000
    ) -> AsyncGenerator[RowMapping, None]:
        """Matching events in chain order, `batch` rows per query (keyset on seq), so an
        export of years of events never holds more than one batch in memory."""
        after = -1
        while True:
            stmt = apply_filters(select(*EVENT_COLUMNS), filters, self._dialect)
            stmt = stmt.where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
            rows = (await self.session.execute(stmt)).mappings().all()
            for row in rows:
                yield row
            if len(rows) < batch:
                return
            after = rows[-1]["seq"]


def _order(sort: str | None) -> list[UnaryExpression[Any]]:
    return ordering(sort, SORTABLE, "-at", AuditEvent.seq)
