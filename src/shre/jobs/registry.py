"""Every task shre runs, by name (the name is what a job row holds: never rename one
that may still be queued)."""

from __future__ import annotations

from shre.documents import tasks as documents
from shre.jobs.housekeeping import retry_stalled
from shre.jobs.worker import TaskSpec

TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("jobs.retry_stalled", retry_stalled, cron="* * * * *"),
    TaskSpec(documents.PROCESS, documents.process),
    TaskSpec(documents.CATCH_UP, documents.catch_up, cron="*/10 * * * *"),
)
