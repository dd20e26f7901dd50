"""The tables the cache's coordination lives in: which installation this database is
(the shared cache's keys are scoped by it), and the invalidations made by commands, which
every serving process applies to its own cache (a command cannot reach a process's memory)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Integer
from sqlalchemy.orm import Mapped, mapped_column

from shre.db import Base, utcnow

# SQLite gives an INTEGER PRIMARY KEY its rowid (AUTOINCREMENT: never reused); PostgreSQL
# a bigint identity.
Seq = BigInteger().with_variant(Integer(), "sqlite")


class Installation(Base):
    """One row: this installation's identity, made with its database. Two installations
    sharing one Redis database (staging and production) keep their entries apart by it."""

    __tablename__ = "installation"
    __table_args__ = (CheckConstraint("one = 1", name="single_row"),)

    one: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    id: Mapped[uuid.UUID] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CacheInvalidation(Base):
    """Cache namespaces a command (`shre keys shred`, `create-admin --force` …) changed
    data of, written in the command's own transaction. Serving processes read the new
    rows every CACHE_SYNC_INTERVAL and invalidate those namespaces in their cache."""

    __tablename__ = "cache_invalidations"
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Mapped[int] = mapped_column(Seq, primary_key=True, autoincrement=True)
    namespaces: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
