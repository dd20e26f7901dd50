"""Every task shre runs, by name (the name is what a job row holds: never rename one
that may still be queued)."""

from __future__ import annotations

from shre.jobs.housekeeping import retry_stalled
from shre.jobs.worker import TaskSpec

TASKS: tuple[TaskSpec, ...] = (TaskSpec("jobs.retry_stalled", retry_stalled, cron="* * * * *"),)
