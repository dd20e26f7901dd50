"""The job queue: procrastinate on PostgreSQL, or the same library's in-memory queue in
the process with the embedded default (SQLite). See `core`."""

from shre.queue.core import (
    FAILED,
    STATUSES,
    Incomplete,
    JobInfo,
    JobQueue,
    JobState,
    build_queue,
    job_args,
)

__all__ = [
    "FAILED",
    "STATUSES",
    "Incomplete",
    "JobInfo",
    "JobQueue",
    "JobState",
    "build_queue",
    "job_args",
]
