"""Walk the chain and report the first event that was edited, removed, reordered or
inserted from outside, and any forged head or checkpoint."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from shre.audit.chain import GENESIS_HASH, HEAD_ID, event_hash, format_at, head_is_authentic
from shre.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from shre.audit.seal import AuditSealer

BATCH = 5000
EVENT_COLUMNS = tuple(AuditEvent.__table__.columns)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    checked: int
    first_bad_event_id: uuid.UUID | None = None
    first_bad_seq: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str | None = None
    checkpoint_seq: int | None = None


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where the chain that remains starts: the latest checkpoint, or the genesis."""

    seq: int
    hash: str


def checkpoint_is_authentic(sealer: AuditSealer, cp: Any) -> bool:
    return sealer.check("checkpoint", cp.key_id, cp.mac, cp.seq, cp.hash, format_at(cp.at))


def check_event(row: Mapping[Any, Any], expected_seq: int, expected_prev: str) -> str | None:
    """Why this event breaks the chain at this point (None: it is sound)."""
    if row["seq"] > expected_seq:
        return (
            f"events before this one are missing (expected seq {expected_seq}, found "
            f"{row['seq']}): removed"
        )
    if row["seq"] < expected_seq:
        return f"seq {row['seq']} is at or before the checkpoint at seq {expected_seq - 1}"
    if event_hash(row) != row["hash"]:
        return "its content does not match its hash: edited or reordered"
    if row["prev_hash"] != expected_prev:
        return "it does not link to the event before it: an earlier event was rewritten"
    return None


async def latest_checkpoint(conn: AsyncConnection | AsyncSession) -> Any:
    stmt = select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)
    result = await conn.execute(stmt)
    return result.scalars().first() if isinstance(conn, AsyncSession) else result.first()


async def events_after(
    conn: AsyncConnection | AsyncSession, seq: int, *, batch: int = BATCH
) -> AsyncGenerator[RowMapping, None]:
    """Every event with a higher seq, in seq order, fetched in batches (keyset)."""
    while True:
        stmt = (
            select(*EVENT_COLUMNS).where(AuditEvent.seq > seq).order_by(AuditEvent.seq).limit(batch)
        )
        rows = (await conn.execute(stmt)).mappings().all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        seq = rows[-1]["seq"]


async def _snapshot(engine: AsyncEngine) -> AsyncConnection:
    """A connection whose reads all see one moment, so appends and prunes running
    meanwhile do not look like tampering."""
    conn = await engine.connect()
    if engine.dialect.name == "postgresql":
        await conn.execution_options(isolation_level="REPEATABLE READ")
    else:
        # pysqlite opens no transaction for reads; an explicit one pins a WAL snapshot.
        await conn.exec_driver_sql("BEGIN")
    return conn


async def verify_chain(
    sessionmaker: async_sessionmaker[AsyncSession], sealer: AuditSealer, *, batch: int = BATCH
) -> VerifyReport:
    engine: AsyncEngine = sessionmaker.kw["bind"]
    conn = await _snapshot(engine)
    try:
        return await _verify(conn, sealer, batch)
    finally:
        await conn.rollback()
        await conn.close()


async def _verify(conn: AsyncConnection, sealer: AuditSealer, batch: int) -> VerifyReport:
    head = (
        await conn.execute(
            select(AuditHead.seq, AuditHead.hash, AuditHead.key_id, AuditHead.mac).where(
                AuditHead.id == HEAD_ID
            )
        )
    ).first()
    checkpoint = await latest_checkpoint(conn)
    anchor = Anchor(0, GENESIS_HASH)
    cp_seq = None
    if checkpoint is not None:
        cp_seq = checkpoint.seq
        if not checkpoint_is_authentic(sealer, checkpoint):
            why = (
                "the latest checkpoint is signed by a master key that is not configured"
                if not sealer.knows(checkpoint.key_id)
                else "the latest checkpoint's signature is invalid: forged or edited"
            )
            return VerifyReport(False, 0, reason=why, checkpoint_seq=cp_seq)
        anchor = Anchor(checkpoint.seq, checkpoint.hash)

    if head is None:
        first = (await conn.execute(select(AuditEvent.seq).limit(1))).first()
        if first is None and checkpoint is None:
            return VerifyReport(True, 0)  # nothing was ever written
        return VerifyReport(
            False, 0, reason="the head of the chain is missing", checkpoint_seq=cp_seq
        )

    checked = 0
    seq, prev = anchor.seq, anchor.hash
    async with aclosing(events_after(conn, -1, batch=batch)) as rows:
        async for row in rows:
            checked += 1
            problem = check_event(row, seq + 1, prev)
            if problem is None and row["seq"] > head.seq:
                problem = "it is newer than the signed head: added outside shre"
            if problem is not None:
                return VerifyReport(
                    False,
                    checked,
                    row["id"],
                    row["seq"],
                    problem,
                    head_seq=head.seq,
                    checkpoint_seq=cp_seq,
                )
            seq, prev = row["seq"], row["hash"]

    if not head_is_authentic(sealer, head.seq, head.hash, head.key_id, head.mac):
        why = (
            "the head is signed by a master key that is not configured"
            if head.mac is not None and not sealer.knows(head.key_id)
            else "the head's signature is invalid: forged or edited"
        )
        return VerifyReport(False, checked, reason=why, head_seq=head.seq, checkpoint_seq=cp_seq)
    if (head.seq, head.hash) != (seq, prev):
        return VerifyReport(
            False,
            checked,
            reason=(
                f"the newest events were removed: the chain ends at seq {seq}, "
                f"the signed head is at seq {head.seq}"
            ),
            head_seq=head.seq,
            checkpoint_seq=cp_seq,
        )
    return VerifyReport(
        True, checked, head_seq=head.seq, head_hash=head.hash, checkpoint_seq=cp_seq
    )
