"""The audit log's tables: the hash-chained events, the signed head of the chain, and the
signed checkpoints that stand in for pruned events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shre.db import Base, UUIDPrimaryKey, utcnow

# target_ids is searched ("which events cover employee X?"): jsonb with a GIN index there.
TargetIds = JSON().with_variant(JSONB(), "postgresql")


class AuditEvent(Base):
    """One event. Rows are only ever inserted (PostgreSQL refuses UPDATE, DELETE and
    TRUNCATE; pruning deletes through one guarded path); `hash` is the SHA-256 of the
    canonical form of every other column, `prev_hash` the hash of the event before."""

    __tablename__ = "audit_events"
    # GIN on PostgreSQL; on SQLite a plain index the `target_id` filter does not use (kept
    # so that both databases have the same schema).
    __table_args__ = (Index("ix_audit_events_target_ids", "target_ids", postgresql_using="gin"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_role: Mapped[str | None] = mapped_column(String(16))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64), index=True)
    target_ids: Mapped[list[str]] = mapped_column(TargetIds)
    fields: Mapped[list[str]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(16))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The newest event of the chain (seq and hash), signed with a key derived from the
    master key: removing the newest events, or appending outside shre, shows as a
    mismatch with the head. One row (id 1), locked by every append."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditCheckpoint(UUIDPrimaryKey, Base):
    """The last event removed by a prune (seq, hash, time), signed: the chain that remains
    starts from it. The newest checkpoint is the one that counts."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    pruned: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    key_id: Mapped[str] = mapped_column(String(16))
    mac: Mapped[str] = mapped_column(String(64))
