"""What services call: `AuditTrail.record` (inside the caller's transaction) and
`AuditTrail.record_read` (committed at once, in its own short transaction).

Recorded events wait in the session until it commits; a commit hook then takes the
chain's lock, appends them and signs the new head, so the lock is held only for the
commit itself, not for the rest of the request. A rolled-back transaction drops its
events with the changes they describe.
"""

from __future__ import annotations

import asyncio
import enum
import re
import uuid
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from shre.audit.chain import AuditChain, AuditUnavailable, PendingEvent
from shre.db import is_read_only, on, state_of
from shre.kit.net import client_ip
from shre.observability.prometheus import AUDIT_EVENTS

log = structlog.get_logger("shre.audit")

# Where `attach` puts the sessionmaker's AuditSetup (in every session's info).
CHAIN_KEY: Final = "shre.audit.chain"

OUTCOMES = frozenset({"success", "failure", "denied"})
SYSTEM_ROLE = "system"
_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class _Unset(enum.Enum):
    UNSET = 0


UNSET: Final = _Unset.UNSET


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Who acts and from where: the signed-in principal and the request, or the system."""

    actor_id: uuid.UUID | None = None
    actor_role: str | None = None
    client_ip: str | None = None
    request_id: str | None = None


def request_context(request: Any) -> AuditContext:
    """The context of an HTTP request, read when the event is recorded: the principal is
    set by `current_principal` (absent before sign-in), the request id by the middleware."""
    principal = getattr(request.state, "principal", None)
    return AuditContext(
        actor_id=principal.id if principal is not None else None,
        actor_role=principal.role.value if principal is not None else None,
        # A proxy's X-Forwarded-For can carry anything: only a valid address is kept.
        client_ip=client_ip(request.scope.get("client")),
        request_id=getattr(request.state, "request_id", None),
    )


@dataclass(frozen=True, slots=True)
class AuditSetup:
    """A sessionmaker's audit chain, and whether its connections already wait for locks
    no longer than the chain's lock timeout (`shre.db.lock_wait_settings`), so that an
    append need not say so."""

    chain: AuditChain
    bounded: bool = False


class _Pending(list[PendingEvent]):
    """A session's recorded events, waiting for its commit (its SessionState's part)."""


def attach(
    sessionmaker: async_sessionmaker[AsyncSession], chain: AuditChain, *, bounded: bool = False
) -> None:
    """Let the sessions of `sessionmaker` record events: each knows the chain, and its
    commit appends what it recorded (a rollback drops it with the changes)."""
    sessionmaker.configure(
        info={**sessionmaker.kw.get("info", {}), CHAIN_KEY: AuditSetup(chain, bounded)}
    )
    on(sessionmaker, "before_commit", _append_pending)
    on(sessionmaker, "after_transaction_end", _drop_pending)


def _setup(session: AsyncSession | Session) -> AuditSetup | None:
    found = session.info.get(CHAIN_KEY)
    return found if isinstance(found, AuditSetup) else None


def chain_of(session: AsyncSession | Session) -> AuditChain:
    setup = _setup(session)
    if setup is None:
        raise RuntimeError(
            "this session has no audit chain: use a session of the runtime's sessionmaker"
        )
    return setup.chain


def _queue(session: AsyncSession, event_: PendingEvent) -> None:
    chain_of(session)  # fail now, not at commit, when the session cannot write events
    if is_read_only(session):
        # Never committed, so the event would be lost: a read is recorded by record_read.
        raise RuntimeError("this session only reads: its events go through record_read")
    state_of(session).part(_Pending).append(event_)


async def commit(session: AsyncSession) -> None:
    """Commit the session; when it has events to append, first take the newest head
    another process published as the guess, and afterwards publish this process's
    (`AuditChain.take_shared_head` / `share_head`: one statement per append, not two,
    while the processes take turns)."""
    setup = _setup(session)
    pending = state_of(session).peek(_Pending)
    if setup is None or not pending:
        await session.commit()
        return
    appended = [(event.action, event.outcome) for event in pending]
    await setup.chain.take_shared_head()
    await session.commit()
    for action, outcome in appended:
        AUDIT_EVENTS.labels(action, outcome).inc()
    await setup.chain.share_head()


def _append_pending(session: Session) -> None:
    pending = state_of(session).take(_Pending)
    setup = _setup(session)
    if not pending or setup is None:
        return
    # The request's own changes first, so the chain's lock is held as briefly as possible.
    session.flush()
    setup.chain.append(session, pending, bounded=setup.bounded)


def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    # Rolled back or closed without a commit: the events go with the changes.
    if transaction.parent is None:
        state_of(session).take(_Pending)


def _clean_name(kind: str, value: str, longest: int = 64) -> str:
    # The message never repeats the value: a value passed where a name belongs could be
    # the very thing that must not reach a log.
    if not _NAME.match(value) or len(value) > longest:
        raise ValueError(f"audit {kind} must be a lower-case name of up to {longest} characters")
    return value


def _clean_id(value: uuid.UUID | str | None) -> str | None:
    if value is None or isinstance(value, uuid.UUID):
        return None if value is None else str(value)
    if not _ID.match(value):
        raise ValueError("audit target_id must be an id (up to 64 of A-Z a-z 0-9 . _ : -)")
    return value


def _clean_ids(values: Sequence[uuid.UUID]) -> tuple[str, ...]:
    try:
        return tuple(str(v if isinstance(v, uuid.UUID) else uuid.UUID(str(v))) for v in values)
    except ValueError:
        raise ValueError("audit target_ids must be UUIDs") from None


class AuditTrail:
    """Records audit events for one unit of work (a request, a CLI command)."""

    def __init__(
        self,
        session: AsyncSession,
        sessionmaker: async_sessionmaker[AsyncSession],
        context: AuditContext | Callable[[], AuditContext],
    ) -> None:
        self.session = session
        self.sessionmaker = sessionmaker
        self._context = context

    @classmethod
    def for_request(
        cls,
        request: Any,
        session: AsyncSession,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> AuditTrail:
        return cls(session, sessionmaker, lambda: request_context(request))

    @classmethod
    def system(
        cls,
        session: AsyncSession,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        actor_id: uuid.UUID | None = None,
    ) -> AuditTrail:
        """For work outside a request (the CLI, jobs): actor role `system`."""
        return cls(session, sessionmaker, AuditContext(actor_id=actor_id, actor_role=SYSTEM_ROLE))

    def _event(
        self,
        action: str,
        *,
        target_type: str | None,
        target_id: uuid.UUID | str | None,
        target_ids: Sequence[uuid.UUID],
        fields: Iterable[str],
        outcome: str,
        actor_id: uuid.UUID | _Unset | None,
        actor_role: str | _Unset | None,
    ) -> PendingEvent:
        if not _ACTION.match(action) or len(action) > 64:
            raise ValueError("audit action must be dotted lower-case `domain.verb`")
        if isinstance(fields, str) or isinstance(target_ids, str):
            raise TypeError("audit fields and target_ids are collections, not one string")
        if outcome not in OUTCOMES:
            raise ValueError(f"audit outcome must be one of {sorted(OUTCOMES)}")
        context = self._context() if callable(self._context) else self._context
        return PendingEvent(
            id=uuid.uuid4(),
            action=action,
            actor_id=context.actor_id if actor_id is UNSET else actor_id,
            actor_role=context.actor_role if actor_role is UNSET else actor_role,
            client_ip=context.client_ip,
            request_id=context.request_id,
            target_type=(
                None if target_type is None else _clean_name("target_type", target_type, 32)
            ),
            target_id=_clean_id(target_id),
            target_ids=_clean_ids(target_ids),
            fields=tuple(sorted({_clean_name("field", f) for f in fields})),
            outcome=outcome,
        )

    async def record(
        self,
        action: str,
        *,
        target_type: str | None = None,
        target_id: uuid.UUID | str | None = None,
        target_ids: Sequence[uuid.UUID] = (),
        fields: Iterable[str] = (),
        outcome: str = "success",
        actor_id: uuid.UUID | _Unset | None = UNSET,
        actor_role: str | _Unset | None = UNSET,
    ) -> None:
        """Append an event inside the caller's current transaction: written when it
        commits (atomic with the change it describes), dropped if it rolls back.

        `fields` are the names of the fields read or changed, never their values.
        `actor_id`/`actor_role` override the context's actor (sign-in has no principal yet).
        If the event cannot be written, the commit fails with 503 (AuditUnavailable)."""
        _queue(
            self.session,
            self._event(
                action,
                target_type=target_type,
                target_id=target_id,
                target_ids=target_ids,
                fields=fields,
                outcome=outcome,
                actor_id=actor_id,
                actor_role=actor_role,
            ),
        )

    async def record_read(
        self,
        action: str,
        *,
        target_type: str | None = None,
        target_id: uuid.UUID | str | None = None,
        target_ids: Sequence[uuid.UUID] = (),
        fields: Iterable[str] = (),
        outcome: str = "success",
        actor_id: uuid.UUID | _Unset | None = UNSET,
        actor_role: str | _Unset | None = UNSET,
    ) -> None:
        """For reads: append and commit now, in a short transaction of its own, so the
        event stays even if the request fails later. Raises AuditUnavailable (503) when
        it cannot: the read must then not be answered (fail closed).

        SQLite exception: when the caller's transaction already holds the database's write
        lock, a second connection would wait for it in vain; the event then joins the
        caller's transaction (committed before the response is sent, or the request fails).

        The event is written through the chain's own small pool (`AuditChain.reads`) when
        it has one, else through `sessionmaker`."""
        pending = self._event(
            action,
            target_type=target_type,
            target_id=target_id,
            target_ids=target_ids,
            fields=fields,
            outcome=outcome,
            actor_id=actor_id,
            actor_role=actor_role,
        )
        if await _holds_sqlite_write_lock(self.session):
            _queue(self.session, pending)
            return
        await _batcher(chain_of(self.session).reads or self.sessionmaker).append(pending)


class _ReadBatcher:
    """Group commit for read events: the reads that arrive while one batch is being
    written go together in the next (one transaction, one turn on the chain's lock, one
    WAL flush), so concurrent readers do not queue one commit each behind the lock."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._waiting: list[tuple[PendingEvent, asyncio.Future[None]]] = []
        self._turn = asyncio.Lock()
        # Where a batch can be one statement of its own (`AuditChain.append_alone`): the
        # sessions' connections are asyncpg's, their lock waits bounded.
        setup = sessionmaker.kw.get("info", {}).get(CHAIN_KEY)
        engine = sessionmaker.kw.get("bind")
        self._alone = (
            (setup.chain, engine)
            if isinstance(setup, AuditSetup)
            and setup.bounded
            and isinstance(engine, AsyncEngine)
            and engine.dialect.driver == "asyncpg"
            else None
        )

    async def append(self, pending: PendingEvent) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((pending, done))
        try:
            async with self._turn:
                if not done.done():
                    await self._write_waiting(done)
        except BaseException:
            # Cancelled while waiting: the batch that takes the event (if any) ignores it.
            if not done.done():
                done.cancel()
            raise
        await done

    async def _write_waiting(self, own: asyncio.Future[None]) -> None:
        batch = [(event, future) for event, future in self._waiting if not future.done()]
        self._waiting = []
        try:
            if not await self._append_alone([event for event, _ in batch]):
                async with self.sessionmaker() as session:
                    for event, _ in batch:
                        _queue(session, event)
                    await commit(session)
        except (DBAPIError, OSError, AuditUnavailable) as exc:
            log.error(
                "audit.write_failed",
                actions=sorted({event.action for event, _ in batch}),
                error_type=type(exc).__name__,
            )
            failure: BaseException = AuditUnavailable()
        except BaseException:
            # Cancelled (or a bug) half-way: the others' reads are refused, not lost track of.
            own.cancel()
            for _, future in batch:
                if not future.done():
                    future.set_exception(AuditUnavailable())
            raise
        else:
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
            return
        for _, future in batch:
            if not future.done():
                future.set_exception(failure)

    async def _append_alone(self, events: list[PendingEvent]) -> bool:
        """The events in one statement of their own where they can be. False: not
        appended."""
        if self._alone is None:
            return False
        chain, engine = self._alone
        if not await chain.append_alone(engine, events):
            return False
        for event in events:
            AUDIT_EVENTS.labels(event.action, event.outcome).inc()
        return True


_batchers: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop,
    weakref.WeakKeyDictionary[async_sessionmaker[AsyncSession], _ReadBatcher],
] = weakref.WeakKeyDictionary()


def _batcher(sessionmaker: async_sessionmaker[AsyncSession]) -> _ReadBatcher:
    """One batcher per event loop and sessionmaker (its lock belongs to one loop)."""
    per_loop = _batchers.setdefault(asyncio.get_running_loop(), weakref.WeakKeyDictionary())
    batcher = per_loop.get(sessionmaker)
    if batcher is None:
        batcher = per_loop[sessionmaker] = _ReadBatcher(sessionmaker)
    return batcher


async def _holds_sqlite_write_lock(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return False
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return bool(getattr(raw.driver_connection, "in_transaction", False))
