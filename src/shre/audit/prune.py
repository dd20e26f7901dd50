"""Retention: remove events older than AUDIT_RETENTION_DAYS, leaving a signed checkpoint
of the last one removed, so that what remains still verifies from there.

Only a prefix of the chain is ever removed, and only after it verified: pruning must not
destroy the evidence of tampering it would otherwise hide. On PostgreSQL the append-only
trigger lets a DELETE through only in this path's transaction (`shre.audit_prune`) and
only for events a checkpoint already covers.
"""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.audit.chain import GENESIS_HASH, HEAD_ID, AuditChain, format_at
from shre.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from shre.audit.trail import AuditTrail, chain_of
from shre.audit.verify import check_event, checkpoint_is_authentic, events_after, latest_checkpoint

log = structlog.get_logger("shre.audit")

# PostgreSQL advisory lock key for pruning ("SHRE" + 2); unique in the app.
PRUNE_LOCK_KEY = 0x5348_5245_0002


class AuditChainBroken(Exception):
    """The chain does not verify where pruning would remove it."""


@dataclass(frozen=True, slots=True)
class PruneReport:
    pruned: int
    checkpoint_seq: int | None
    resealed: int


async def _lock(session: AsyncSession) -> None:
    """One prune at a time. SQLite: write first, which takes the database's write lock
    before anything is read (pysqlite runs earlier reads outside the transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(PRUNE_LOCK_KEY)))
    else:
        await session.execute(
            update(AuditHead)
            .where(AuditHead.id == HEAD_ID)
            .values(seq=AuditHead.seq)
            .execution_options(synchronize_session=False)
        )


async def _prune_batch(
    session: AsyncSession, chain: AuditChain, cutoff: datetime, batch: int
) -> tuple[int, AuditCheckpoint | None, bool]:
    """Remove up to `batch` events older than `cutoff`: (removed, new checkpoint, more?)."""
    await _lock(session)
    checkpoint = await latest_checkpoint(session)
    if checkpoint is not None and not checkpoint_is_authentic(chain.sealer, checkpoint):
        raise AuditChainBroken(f"the checkpoint at seq {checkpoint.seq} is not authentic")
    seq, prev = (checkpoint.seq, checkpoint.hash) if checkpoint else (0, GENESIS_HASH)
    last = None
    count = 0
    async with aclosing(events_after(session, seq, batch=batch)) as rows:
        async for row in rows:
            if row["at"] >= cutoff or count >= batch:
                break
            problem = check_event(row, seq + 1, prev)
            if problem is not None:
                raise AuditChainBroken(f"event {row['id']} (seq {row['seq']}): {problem}")
            seq, prev, last = row["seq"], row["hash"], row
            count += 1
    if last is None:
        return 0, None, False
    key_id, mac = chain.sealer.sign("checkpoint", last["seq"], last["hash"], format_at(last["at"]))
    new = AuditCheckpoint(
        seq=last["seq"], hash=last["hash"], at=last["at"], pruned=count, key_id=key_id, mac=mac
    )
    session.add(new)
    await session.flush()
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.set_config("shre.audit_prune", "on", True)))
    await session.execute(delete(AuditEvent).where(AuditEvent.seq <= last["seq"]))
    return count, new, count >= batch


async def reseal(session: AsyncSession, chain: AuditChain) -> int:
    """Re-sign the latest checkpoint under the primary master key when a retired key
    signed it (after checking that signature), so the retired key can be dropped."""
    checkpoint = await latest_checkpoint(session)
    if checkpoint is None or checkpoint.key_id == chain.sealer.primary_id:
        return 0
    if not checkpoint_is_authentic(chain.sealer, checkpoint):
        raise AuditChainBroken(f"the checkpoint at seq {checkpoint.seq} is not authentic")
    checkpoint.key_id, checkpoint.mac = chain.sealer.sign(
        "checkpoint", checkpoint.seq, checkpoint.hash, format_at(checkpoint.at)
    )
    await session.flush()
    return 1


async def prune(
    sessionmaker: async_sessionmaker[AsyncSession], *, older_than: datetime, batch: int = 5000
) -> PruneReport:
    """Remove every event older than `older_than` (one transaction per batch), then record
    an `audit.prune` event naming the new checkpoint."""
    total = 0
    checkpoint: AuditCheckpoint | None = None
    more = True
    while more:
        async with sessionmaker() as session:
            count, new, more = await _prune_batch(session, chain_of(session), older_than, batch)
            await session.commit()
        if count:
            total += count
            checkpoint = new
            log.info("audit.pruned", events=count, checkpoint_seq=new.seq if new else None)
    async with sessionmaker() as session:
        await _lock(session)
        resealed = await reseal(session, chain_of(session))
        if checkpoint is not None:
            await AuditTrail.system(session, sessionmaker).record(
                "audit.prune", target_type="audit_checkpoint", target_id=checkpoint.id
            )
        await session.commit()
    return PruneReport(total, checkpoint.seq if checkpoint else None, resealed)


async def count_older(sessionmaker: async_sessionmaker[AsyncSession], older_than: datetime) -> int:
    """How many events a prune would remove at most (for --dry-run)."""
    async with sessionmaker() as session:
        stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.at < older_than)
        return int((await session.execute(stmt)).scalar_one())
