"""The job queue, procrastinate's: on PostgreSQL, or in memory in the serving process with
the embedded default (SQLite).

Why procrastinate: shre's production database is PostgreSQL, and procrastinate keeps its
queue there. A job is written in the same transaction as the change that causes it (an
upload commits with its classification job, or neither happens): no broker to run, back
up or lose, and no job for a change that rolled back. Retries with backoff, periodic
tasks, worker heartbeats (a killed worker's running job goes to another) and a table of
jobs an admin can read and retry are the library's own. Its schema is one of shre's
migrations.

With SQLite (`make run`) the same library's in-memory connector runs the jobs inside the
serving process: they are deferred when the transaction commits, and lost if the process
stops before they run, which the periodic catch-up tasks repair (every task finds its own
work again and is idempotent).

A job carries ids only (`job_args`): never a name, an address or any value of a record;
the task reads what it needs when it runs.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
import structlog
from procrastinate import App, BaseRetryStrategy, PsycopgConnector, RetryDecision
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.testing import InMemoryConnector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from shre.db import on, state_of
from shre.observability.tracing import current_traceparent
from shre.settings import Settings

log = structlog.get_logger("shre.jobs")

QUEUE: Final = "shre"
FAILED: Final = "failed"
STATUSES: Final = ("todo", "doing", "succeeded", "failed", "cancelled", "aborting", "aborted")
# What a job's argument may be: an id (a UUID, a number) or a short token (a task's mode,
# a W3C traceparent). Anything else is refused before it reaches the queue.
_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task AS varchar), CAST(:priority AS integer), "
    "CAST(:lock AS text), NULL::text, CAST(:args AS jsonb), NULL::timestamptz"
    ")::procrastinate_job_to_defer_v1])) AS id"
)
_pending_defers: set[asyncio.Task[Any]] = set()


def job_args(**values: uuid.UUID | int | str | None) -> dict[str, str | int]:
    """A job's arguments, checked to be ids or short tokens (TypeError otherwise); None
    values are left out."""
    args: dict[str, str | int] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"job argument {name!r}: ids and short tokens only")
        if isinstance(value, str) and not _TOKEN.fullmatch(value):
            raise TypeError(f"job argument {name!r}: ids and short tokens only")
        args[name] = value
    return args


@dataclass(frozen=True, slots=True)
class JobInfo:
    id: int
    task: str
    status: str
    attempts: int
    scheduled_at: datetime | None
    lock: str | None
    args: dict[str, Any]

    @classmethod
    def of(cls, job: Job) -> JobInfo:
        return cls(
            id=job.id or 0,
            task=job.task_name,
            status=job.status or "todo",
            attempts=job.attempts,
            scheduled_at=job.scheduled_at,
            lock=job.lock,
            args=dict(job.task_kwargs),
        )


class Incomplete(Exception):
    """A job did its work only in part (files not deleted, a check that failed): raised
    so that the job is retried, then left failed for an admin; the next attempt takes
    up the rest."""


class JobState(Exception):
    """A job is not in a state that allows what was asked (retrying a running job)."""


class Backoff(BaseRetryStrategy):
    """`attempts` in all; the first wait `wait` seconds, doubled after each failure."""

    def __init__(self, attempts: int, wait: int) -> None:
        self.attempts = attempts
        self.wait = wait

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.attempts + 1 >= self.attempts:
            return None
        return RetryDecision(retry_in={"seconds": self.wait * 2**job.attempts})


class _Deferred(list[tuple[str, dict[str, Any], str | None]]):
    """A session's part (in-memory queue): the jobs to defer when it commits."""


class JobQueue:
    """One procrastinate app over the configured connector, opened on first use (a
    process that never touches the queue holds no connection for it)."""

    def __init__(self, app: App, *, in_memory: bool, backoff: Backoff) -> None:
        self.app = app
        self.in_memory = in_memory
        self.backoff = backoff
        self._opened = False
        self._opening: asyncio.Lock | None = None

    async def open(self) -> None:
        if self._opened:
            return
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if not self._opened:
                await self.app.open_async()
                self._opened = True

    async def aclose(self) -> None:
        if self._opened:
            self._opened = False
            await self.app.close_async()

    def attach(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """In memory: have this sessionmaker's sessions defer their jobs at commit (and
        drop them at rollback). On PostgreSQL nothing is needed: the job is a row of the
        same transaction."""
        if self.in_memory:
            on(sessionmaker, "after_commit", self._committed)
            on(sessionmaker, "after_rollback", _rolled_back)

    async def defer_in(
        self, session: AsyncSession, task: str, *, lock: str | None = None, **args: Any
    ) -> None:
        """Defer `task` as part of `session`'s transaction: it runs once that commits,
        never if it rolls back. `args` are ids (see `job_args`)."""
        checked = job_args(**args, traceparent=current_traceparent())
        if self.in_memory:
            state_of(session).part(_Deferred).append((task, checked, lock))
            return
        await session.execute(
            _DEFER,
            {
                "queue": QUEUE,
                "task": task,
                "priority": 0,
                "lock": lock,
                "args": orjson.dumps(checked).decode(),
            },
        )

    async def defer(
        self,
        task: str,
        *,
        lock: str | None = None,
        queueing_lock: str | None = None,
        **args: Any,
    ) -> int | None:
        """Defer `task` now, outside any transaction of the caller's; the job's id (None:
        a job with this `queueing_lock` is waiting already)."""
        await self.open()
        deferrer = self.app.configure_task(
            task, queue=QUEUE, lock=lock, queueing_lock=queueing_lock
        )
        try:
            return await deferrer.defer_async(**job_args(**args, traceparent=current_traceparent()))
        except AlreadyEnqueued:
            return None

    def _committed(self, session: Session) -> None:
        deferred = state_of(session).take(_Deferred)
        if not deferred:
            return
        loop = asyncio.get_running_loop()
        for task, args, lock in deferred:
            job = loop.create_task(
                self.app.configure_task(task, queue=QUEUE, lock=lock).defer_async(**args)
            )
            _pending_defers.add(job)
            job.add_done_callback(_pending_defers.discard)

    async def jobs(
        self, *, status: str | None = None, task: str | None = None, limit: int = 100
    ) -> list[JobInfo]:
        """The newest `limit` jobs, with this status and task when given."""
        await self.open()
        found = await self.app.job_manager.list_jobs_async(status=status, task=task)
        newest = sorted(found, key=lambda job: job.id or 0, reverse=True)[:limit]
        return [JobInfo.of(job) for job in newest]

    async def job(self, job_id: int) -> JobInfo | None:
        await self.open()
        found = list(await self.app.job_manager.list_jobs_async(id=job_id))
        return JobInfo.of(found[0]) if found else None

    async def retry(self, job_id: int) -> JobInfo | None:
        """Run a failed job again now, with its attempts given back (None: no such job;
        JobState: it has not failed)."""
        job = await self.job(job_id)
        if job is None:
            return None
        if job.status != FAILED:
            raise JobState(f"job {job_id} is {job.status}; only a failed job can be retried")
        await self.app.job_manager.retry_job_by_id_async(job_id, retry_at=_now())
        return await self.job(job_id)

    async def depth(self) -> int:
        """Jobs waiting to run (due or not)."""
        await self.open()
        queues = await self.app.job_manager.list_queues_async()
        return sum(int(queue["todo"]) for queue in queues)


def _rolled_back(session: Session) -> None:
    state_of(session).take(_Deferred)


def _now() -> datetime:
    from procrastinate import utils

    return utils.utcnow()


def conninfo(database_url: str) -> str:
    """libpq's form of a `postgresql+asyncpg://` URL (psycopg's), its options kept."""
    return "postgresql://" + database_url.split("://", 1)[1]


def build_queue(settings: Settings, *, pool_size: int = 2) -> JobQueue:
    """The queue of this installation: PostgreSQL's, or in memory with SQLite."""
    in_memory = settings.is_sqlite
    if in_memory:
        connector: Any = InMemoryConnector()
    else:
        connector = PsycopgConnector(
            conninfo=conninfo(settings.database_url),
            min_size=1,
            max_size=max(2, pool_size),
            kwargs={"application_name": "shre-jobs"},
        )
    return JobQueue(
        App(connector=connector),
        in_memory=in_memory,
        backoff=Backoff(settings.job_max_attempts, settings.job_retry_wait_seconds),
    )
