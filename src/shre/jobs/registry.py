"""Every task shre runs, by name (the name is what a job row holds: never rename one
that may still be queued)."""

from __future__ import annotations

from shre.analytics import attrition
from shre.documents import tasks as documents
from shre.documents import training
from shre.jobs.housekeeping import retry_stalled
from shre.jobs.maintenance import prune_audit, purge, verify_chain
from shre.jobs.reminders import send_expiry_reminders
from shre.jobs.worker import TaskSpec

TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("jobs.retry_stalled", retry_stalled, cron="* * * * *"),
    TaskSpec(documents.PROCESS, documents.process),
    TaskSpec(documents.CATCH_UP, documents.catch_up, cron="*/10 * * * *"),
    # Daily, UTC.
    # Deleted documents, then retention and erasures (the name predates the latter).
    TaskSpec("documents.purge", purge, cron="30 2 * * *"),
    TaskSpec("audit.prune", prune_audit, cron="0 3 * * *"),
    TaskSpec("audit.verify", verify_chain, cron="30 3 * * *"),
    TaskSpec("documents.expiry_reminders", send_expiry_reminders, cron="0 6 * * *"),
    TaskSpec(training.RETRAIN, training.retrain, cron="0 4 * * *"),
    TaskSpec(attrition.REFRESH, attrition.refresh, cron="0 5 * * *"),
)
