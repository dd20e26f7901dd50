"""The hash chain: the canonical form of an event, and appending events under the lock on
the chain's head so that concurrent writers can never fork it.

On PostgreSQL each process remembers the head it wrote last and first appends after it
in one statement that moves the head only if it is still that one (`_append_after`);
when another process appended meanwhile, the statement has locked the head and read it,
and the events go after the head found (after checking its signature, as always). With a
shared cache (Redis), each process also publishes the head it wrote (`SharedHead`), and
the others guess that one when it is newer than theirs and its signature holds: a guess
is only ever a head this key signed, and the statement still moves nothing unless the
database's head is exactly that one."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, cast

import asyncpg
import orjson
import structlog
from sqlalchemy import (
    BigInteger,
    String,
    Table,
    and_,
    bindparam,
    case,
    column,
    func,
    insert,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from shre.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from shre.audit.seal import AuditSealer
from shre.cache.base import Cache
from shre.db import upsert, utcnow
from shre.kit.errors import ServiceUnavailable
from shre.observability.metrics import count_statement, counted_as_audit
from shre.observability.tracing import statement_span

log = structlog.get_logger("shre.audit")

GENESIS_HASH = "0" * 64
EVENTS = cast(Table, AuditEvent.__table__)
HEAD = cast(Table, AuditHead.__table__)
HEAD_ID = 1
CANONICAL_VERSION = 1


class AuditUnavailable(ServiceUnavailable):
    """An audit event could not be written, so the action that needed it fails."""

    def __init__(self, detail: str = "The audit log cannot be written; try again shortly") -> None:
        super().__init__(detail, code="audit_unavailable")


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event recorded but not yet appended (that happens when its transaction commits)."""

    id: uuid.UUID
    action: str
    actor_id: uuid.UUID | None
    actor_role: str | None
    client_ip: str | None
    request_id: str | None
    target_type: str | None
    target_id: str | None
    target_ids: tuple[str, ...]
    fields: tuple[str, ...]
    outcome: str

    def row(self, *, seq: int, at: datetime, prev_hash: str) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": self.id,
            "seq": seq,
            "at": at,
            "actor_id": self.actor_id,
            "actor_role": self.actor_role,
            "client_ip": self.client_ip,
            "request_id": self.request_id,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_ids": list(self.target_ids),
            "fields": list(self.fields),
            "outcome": self.outcome,
            "prev_hash": prev_hash,
        }
        values["hash"] = event_hash(values)
        return values


# An event's columns as it is shown outside the chain (the API's AuditEventOut, the
# access export's audit.json): all but the chain's links.
SHOWN_COLUMNS: Final = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_role",
    "client_ip",
    "request_id",
    "action",
    "target_type",
    "target_id",
    "target_ids",
    "fields",
    "outcome",
)


def shown(row: Mapping[Any, Any]) -> dict[str, Any]:
    """An event as shown outside the chain: SHOWN_COLUMNS, the time as `format_at`."""
    return {**{name: row[name] for name in SHOWN_COLUMNS}, "at": format_at(row["at"])}


def format_at(at: datetime) -> str:
    """ISO-8601 in UTC with microseconds, e.g. 2026-11-26T09:15:02.000417Z."""
    if at.tzinfo is None:
        raise ValueError("audit times are UTC-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def canonical(event: Mapping[Any, Any]) -> bytes:
    """The bytes an event's hash covers: every stored column but the hash itself, as JSON
    with sorted keys, no whitespace, UTF-8 (what `json.dumps(doc, sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` writes)."""
    doc = {
        "v": CANONICAL_VERSION,
        "id": str(event["id"]),
        "seq": int(event["seq"]),
        "at": format_at(event["at"]),
        "actor_id": _text(event["actor_id"]),
        "actor_role": event["actor_role"],
        "client_ip": event["client_ip"],
        "request_id": event["request_id"],
        "action": event["action"],
        "target_type": event["target_type"],
        "target_id": event["target_id"],
        "target_ids": [str(t) for t in event["target_ids"]],
        "fields": [str(f) for f in event["fields"]],
        "outcome": event["outcome"],
        "prev_hash": event["prev_hash"],
    }
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def event_hash(event: Mapping[Any, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def _linked(
    events: Sequence[PendingEvent], seq: int, prev_hash: str
) -> tuple[list[dict[str, Any]], tuple[int, str]]:
    """The rows of `events` linked after (seq, prev_hash), and the new head."""
    at = utcnow()
    rows = []
    for event in events:
        seq += 1
        row = event.row(seq=seq, at=at, prev_hash=prev_hash)
        prev_hash = row["hash"]
        rows.append(row)
    return rows, (seq, prev_hash)


def head_is_authentic(
    sealer: AuditSealer, seq: int, hash_: str, key_id: str | None, mac: str | None
) -> bool:
    if seq == 0 and hash_ == GENESIS_HASH and mac is None:
        return True  # the empty chain: nothing to sign yet
    return sealer.check("head", key_id, mac, seq, hash_)


def _as_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A linked row as `_APPEND_AFTER` takes it: JSON, times as `format_at` writes them
    (microseconds kept, so the stored time is the one hashed)."""
    return {
        **row,
        "id": str(row["id"]),
        "at": format_at(row["at"]),
        "actor_id": _text(row["actor_id"]),
    }


def _append_after_statement() -> Any:
    """PostgreSQL: move the head from (:seq, :hash) to (:new_seq, :new_hash) and insert
    the linked rows (:rows, a JSON array) only if the head is still (:seq, :hash); return
    the head as it is then and how many rows went in. One statement whatever the number
    of rows, so SQLAlchemy compiles it and the driver prepares it once per connection (an
    append is made under the chain's lock: its cost is paid by every writer waiting)."""
    still = and_(HEAD.c.seq == bindparam("seq"), HEAD.c.hash == bindparam("hash"))
    moved = (
        update(HEAD)
        .where(HEAD.c.id == HEAD_ID)
        .values(
            seq=case((still, bindparam("new_seq", type_=BigInteger)), else_=HEAD.c.seq),
            hash=case((still, bindparam("new_hash", type_=String)), else_=HEAD.c.hash),
            key_id=case((still, bindparam("key_id", type_=String)), else_=HEAD.c.key_id),
            mac=case((still, bindparam("mac", type_=String)), else_=HEAD.c.mac),
        )
        .returning(HEAD.c.seq, HEAD.c.hash, HEAD.c.key_id, HEAD.c.mac)
        .cte("moved")
    )
    records = (
        func.jsonb_to_recordset(sql_cast(bindparam("rows", type_=String), JSONB))
        .table_valued(*(column(c.name, c.type) for c in EVENTS.c))
        .render_derived(name="r", with_types=True)
    )
    done = and_(moved.c.seq == bindparam("new_seq"), moved.c.hash == bindparam("new_hash"))
    appended = (
        insert(EVENTS)
        .from_select([c.name for c in EVENTS.c], select(*records.c).join_from(moved, records, done))
        .returning(EVENTS.c.seq)
        .cte("appended")
    )
    count = select(func.count()).select_from(appended).scalar_subquery()
    return select(moved.c.seq, moved.c.hash, moved.c.key_id, moved.c.mac, count)


_APPEND_AFTER = _append_after_statement()

# How many times a read's events appended alone (`AuditChain.append_alone`) may find the
# head moved by another process before they are appended in a transaction instead.
ALONE_TRIES: Final = 3
# What asyncpg raises when a statement fails or its connection does (a connection the
# server closed under it can also leave its protocol in a state it refuses to leave).
_DRIVER_ERRORS: Final = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)


def _write_failed(events: Sequence[PendingEvent], error: BaseException | None) -> None:
    log.error(
        "audit.write_failed",
        actions=sorted({e.action for e in events}),
        error_type=type(error).__name__,
        error=(str(error).splitlines() or [""])[0][:200],
    )


_COMPILED: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {}


def _append_after_sql(dialect: Dialect) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """`_APPEND_AFTER` as `dialect`'s driver takes it: the SQL, its parameters' names in
    order, and the values compiled into it (the head's id). Compiled once per driver."""
    found = _COMPILED.get(dialect.driver)
    if found is None:
        compiled = _APPEND_AFTER.compile(dialect=dialect)
        found = (compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params))
        _COMPILED[dialect.driver] = found
    return found


class SharedHead:
    """The newest head a process wrote, published in the shared cache for the others to
    guess (never trusted: a guess must carry the head's signature, and the append checks
    the database's head anyway). A cache that fails only makes guesses miss."""

    KEY = "audit:head"
    TTL = 3600

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def get(self) -> tuple[int, str, str | None, str | None] | None:
        found = await self.cache.peek(self.KEY)
        if not isinstance(found, list) or len(found) != 4:
            return None
        seq, hash_, key_id, mac = found
        if not isinstance(seq, int) or not isinstance(hash_, str):
            return None
        if not all(v is None or isinstance(v, str) for v in (key_id, mac)):
            return None
        return seq, hash_, key_id, mac

    async def put(self, seq: int, hash_: str, key_id: str | None, mac: str | None) -> None:
        await self.cache.set(self.KEY, [seq, hash_, key_id, mac], ttl=self.TTL)


@dataclass(frozen=True, slots=True)
class AuditChain:
    """The long-lived part of the audit log: the signer, how long an append may wait for
    the chain's lock (PostgreSQL; SQLite waits for its write lock, busy_timeout), and the
    sessions read events are committed in.

    `reads` has a small pool of its own: a request that records a read already holds a
    connection of the main pool, and a burst of such requests could hold all of them
    while the read event waits for one more, until the pool's timeout."""

    sealer: AuditSealer
    lock_timeout_ms: int = 3000
    reads: async_sessionmaker[AsyncSession] | None = None
    # The head this process wrote last (PostgreSQL): the next append guesses it is still
    # the head, and costs one statement when it is (see `_append_after`).
    known_head: dict[int, tuple[int, str]] = field(default_factory=dict, compare=False)
    # Where the processes publish the heads they wrote (None: no shared cache).
    shared: SharedHead | None = None

    async def take_shared_head(self) -> None:
        """Before an append: guess the head another process published if it is newer
        than the one this process wrote and signed by this chain's key."""
        if self.shared is None:
            return
        found = await self.shared.get()
        if found is None:
            return
        seq, hash_, key_id, mac = found
        mine = self.known_head.get(HEAD_ID)
        if mine is not None and mine[0] >= seq:
            return
        if seq > 0 and head_is_authentic(self.sealer, seq, hash_, key_id, mac):
            self.known_head[HEAD_ID] = (seq, hash_)

    async def share_head(self) -> None:
        """After an append has committed: publish the head this process wrote last."""
        mine = self.known_head.get(HEAD_ID)
        if self.shared is None or mine is None:
            return
        await self.shared.put(*mine, *self.sealer.sign("head", *mine))

    async def append_alone(self, engine: AsyncEngine, events: Sequence[PendingEvent]) -> bool:
        """PostgreSQL through asyncpg, on connections whose lock waits are bounded: append
        `events` after the head this process knows by `_APPEND_AFTER` alone, committed as
        one statement (no BEGIN, no COMMIT, no session: one round trip for a batch of read
        events instead of three). The statement moves the head and inserts the events
        together or not at all; when another process moved the head meanwhile, it gives
        that head (checked like any other) and the events are linked after it and tried
        again, up to ALONE_TRIES times.

        False: nothing appended (no head known yet, or moved under every try); the caller
        appends in a transaction instead, with the head locked. Raises AuditUnavailable
        when the statement or its connection fails."""
        await self.take_shared_head()
        if HEAD_ID not in self.known_head:
            return False
        sql, names, compiled = _append_after_sql(engine.dialect)
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            try:
                for _ in range(ALONE_TRIES):
                    guess = self.known_head.get(HEAD_ID)
                    if guess is None:
                        return False
                    params = {**compiled, **self._append_params(events, guess)}
                    count_statement(audit=True)
                    with statement_span(engine, sql):
                        found = await driver.fetchrow(sql, *(params[name] for name in names))
                    outcome = self._settled(found, events, params)
                    if outcome is None:
                        return False  # no head: the first append creates it, locked
                    if outcome is True:
                        break
                    # Moved meanwhile: the events go after the head found, if authentic.
                    self.known_head[HEAD_ID] = self._authentic(*outcome)
                else:
                    return False
            except _DRIVER_ERRORS as exc:
                await conn.invalidate()  # its state is unknown: never lent again
                _write_failed(events, exc)
                raise AuditUnavailable from None
            except BaseException:
                await conn.invalidate()  # cancelled with the statement sent, perhaps
                raise
        await self.share_head()
        return True

    async def aclose(self) -> None:
        if self.reads is not None:
            engine: AsyncEngine = self.reads.kw["bind"]
            await engine.dispose()

    def append(
        self, session: Session, events: Sequence[PendingEvent], *, bounded: bool = False
    ) -> None:
        """Append `events` at the end of the chain, inside the session's transaction (sync:
        runs in the session's commit hook). The head stays locked until the commit.

        Core statements on the session's connection: this runs under the chain's lock, so
        the ORM's per-statement overhead would be paid by every writer waiting for it."""
        try:
            conn = session.connection()
            with counted_as_audit(conn):
                self._append(conn, events, bounded=bounded)
        except DBAPIError as exc:
            _write_failed(events, exc.orig)
            raise AuditUnavailable from None

    def _append(self, conn: Connection, events: Sequence[PendingEvent], *, bounded: bool) -> None:
        postgres = conn.dialect.name == "postgresql"
        if postgres and not bounded:
            # A bounded wait: a stuck writer makes this request fail (503), not hang.
            conn.execute(select(func.set_config("lock_timeout", f"{self.lock_timeout_ms}ms", True)))
        if postgres:
            head = self.known_head.get(HEAD_ID)
            if head is not None:
                found = self._append_after(conn, events, head)
                if found is True:
                    return
                # Another process appended meanwhile: the statement locked the head it
                # found; append after that one (now sure to hold).
                head = None if found is None else self._authentic(*found)
            if head is None:
                head = self._lock_head(conn, postgres)
            if self._append_after(conn, events, head) is not True:
                raise AuditUnavailable  # pragma: no cover - the head is locked
            return
        seq, prev_hash = self._lock_head(conn, postgres)
        rows, new_head = _linked(events, seq, prev_hash)
        key_id, mac = self.sealer.sign("head", *new_head)
        conn.execute(insert(EVENTS), rows)
        conn.execute(
            update(HEAD)
            .where(HEAD.c.id == HEAD_ID)
            .values(seq=new_head[0], hash=new_head[1], key_id=key_id, mac=mac)
        )

    def _append_after(
        self, conn: Connection, events: Sequence[PendingEvent], guess: tuple[int, str]
    ) -> Literal[True] | tuple[int, str, str | None, str | None] | None:
        """PostgreSQL: append `events` after the head `guess` (the one this process last
        wrote, or the one it has locked), in one statement that moves the head and inserts
        them only if the head is still that (PostgreSQL re-reads the row once its lock is
        free). True: appended. Otherwise the head as it is, locked now (None: there is
        none), to append after instead."""
        params = self._append_params(events, guess)
        return self._settled(conn.execute(_APPEND_AFTER, params).first(), events, params)

    def _settled(
        self, found: Any, events: Sequence[PendingEvent], params: Mapping[str, Any]
    ) -> Literal[True] | tuple[int, str, str | None, str | None] | None:
        """What `_APPEND_AFTER` answered (`found`, its row): True when the events went in
        (their head is now this process's), else the head it found (None: none)."""
        if found is None:
            return None
        if found[4] == len(events):
            self.known_head[HEAD_ID] = (params["new_seq"], params["new_hash"])
            return True
        return (found[0], found[1], found[2], found[3])

    def _append_params(
        self, events: Sequence[PendingEvent], guess: tuple[int, str]
    ) -> dict[str, Any]:
        """`_APPEND_AFTER`'s parameters: `events` linked after `guess`, and the new head
        they make, signed."""
        rows, new_head = _linked(events, *guess)
        key_id, mac = self.sealer.sign("head", *new_head)
        return {
            "seq": guess[0],
            "hash": guess[1],
            "new_seq": new_head[0],
            "new_hash": new_head[1],
            "key_id": key_id,
            "mac": mac,
            "rows": orjson.dumps([_as_json(row) for row in rows]).decode(),
        }

    def _lock_head(self, conn: Connection, postgres: bool) -> tuple[int, str]:
        head = self._lock_row(conn, postgres)
        if head is None:
            self._create_head(conn, postgres)
            head = self._lock_row(conn, postgres)
        if head is None:  # pragma: no cover - created just above, under the lock
            raise AuditUnavailable
        return self._authentic(*head)

    def _authentic(
        self, seq: int, hash_: str, key_id: str | None, mac: str | None
    ) -> tuple[int, str]:
        if not head_is_authentic(self.sealer, seq, hash_, key_id, mac):
            # Extending a forged head would sign the forgery: refuse, and say so loudly.
            self.known_head.clear()
            log.error("audit.head_not_authentic", seq=seq, key_id=key_id)
            raise AuditUnavailable("The audit log's head is not authentic; run `shre audit verify`")
        return int(seq), str(hash_)

    @staticmethod
    def _lock_row(
        conn: Connection, postgres: bool
    ) -> tuple[int, str, str | None, str | None] | None:
        columns = (HEAD.c.seq, HEAD.c.hash, HEAD.c.key_id, HEAD.c.mac)
        if postgres:
            stmt: Any = select(*columns).where(HEAD.c.id == HEAD_ID).with_for_update()
        else:
            # SQLite has no row locks: a write takes the database's write lock at once (a
            # read first could see a tail another writer is about to extend).
            stmt = (
                update(HEAD).where(HEAD.c.id == HEAD_ID).values(seq=HEAD.c.seq).returning(*columns)
            )
        row = conn.execute(stmt).first()
        return None if row is None else (row[0], row[1], row[2], row[3])

    @staticmethod
    def _create_head(conn: Connection, postgres: bool) -> None:
        """The first append ever. A missing head with events or checkpoints present means
        someone removed it: refuse rather than start a second chain. Only the writer whose
        insert made the head checks (in its transaction, so a refusal leaves no head): a
        concurrent first writer may have created it, appended and committed since this
        one found none, and its events are no sign of a removed head."""
        dialect_insert: Any = upsert(conn.dialect.name)
        stmt = (
            dialect_insert(HEAD)
            .values(id=HEAD_ID, seq=0, hash=GENESIS_HASH, key_id=None, mac=None)
            .on_conflict_do_nothing(index_elements=[HEAD.c.id])
            .returning(HEAD.c.id)
        )
        if conn.execute(stmt).first() is None:
            return  # another writer created it
        if (
            conn.execute(select(AuditEvent.seq).limit(1)).first() is not None
            or conn.execute(select(AuditCheckpoint.seq).limit(1)).first() is not None
        ):
            log.error("audit.head_missing")
            raise AuditUnavailable("The audit log's head is missing; run `shre audit verify`")
