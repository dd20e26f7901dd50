"""The checks behind the operators' alerts (docs/OPERATIONS.md) that no request makes:

- the audit chain verified every AUDIT_VERIFY_INTERVAL_SECONDS, as `shre audit verify`
  does, its outcome the gauges `shre_audit_verify_last_{success,failure}_timestamp_seconds`
  (and a log line `audit.verify_failed` naming the first bad event's sequence number);
- key rotation's progress, `shre_key_rotation_pending{kind}`: records still sealed under
  a retired key, and the jobs waiting in the queue, `shre_job_queue_depth`, counted when
  /metrics is scraped (three counts, at most every few seconds).

Every serving process runs the verification loop. Through a shared cache (Redis) one
process of the whole deployment takes each round's lease and the others skip it: the
chain is walked once per interval, however many workers and replicas there are. The
timestamps are read with max() across them (see the alert rules)."""

from __future__ import annotations

import os
import random
import time
from typing import Final

import anyio
import structlog

from shre.api.runtime import Runtime
from shre.audit import VerifyReport, verify_chain
from shre.db import read_only_session
from shre.documents.keys import pending_rotation
from shre.employees.keys import key_status
from shre.employees.vault import EmployeeVault
from shre.observability.prometheus import (
    AUDIT_VERIFY_LAST_FAILURE,
    AUDIT_VERIFY_LAST_SUCCESS,
    JOB_QUEUE_DEPTH,
    KEY_ROTATION_PENDING,
)

log = structlog.get_logger("shre.monitor")

LEASE: Final = "monitor:audit_verify"
# The first round comes this long after start (spread: workers start together).
FIRST_ROUND: Final = (5.0, 15.0)
# Key rotation's counts are reused for this long (a scrape every few seconds costs
# two counts at most this often).
PENDING_FRESH_FOR: Final = 10.0


async def verify_audit(runtime: Runtime) -> VerifyReport:
    """Walk the audit chain now; record when it last passed or failed."""
    report = await verify_chain(runtime.sessionmaker, runtime.audit.sealer)
    if report.ok:
        AUDIT_VERIFY_LAST_SUCCESS.set(time.time())
        log.info("audit.verified", checked=report.checked, head_seq=report.head_seq)
    else:
        AUDIT_VERIFY_LAST_FAILURE.set(time.time())
        log.error(
            "audit.verify_failed",
            checked=report.checked,
            first_bad_seq=report.first_bad_seq,
            reason=report.reason,
        )
    return report


async def verify_audit_periodically(runtime: Runtime, interval: float) -> None:
    """`verify_audit` every `interval` seconds, for as long as the process serves: the
    round's lease taken first (see the module's docstring). A failure to run the check
    (the database down) is logged and the next round tries again."""
    first = min(interval, random.uniform(*FIRST_ROUND))  # noqa: S311 - spreading only
    await anyio.sleep(first)
    lease_ttl = max(1, int(interval) - 1)
    while True:
        try:
            if await runtime.cache.cache.add(LEASE, os.getpid(), lease_ttl):
                await verify_audit(runtime)
        except Exception as exc:
            log.warning("audit.verify_not_run", error_type=type(exc).__name__)
        await anyio.sleep(interval)


class ScrapedCounts:
    """`shre_key_rotation_pending{kind}` and `shre_job_queue_depth` kept fresh for
    /metrics."""

    def __init__(self) -> None:
        self._counted_at = -PENDING_FRESH_FOR

    async def refresh(self, runtime: Runtime) -> None:
        """Count again unless the counts are fresh; a database that fails leaves the
        gauges as they were (the scrape still answers, `shre_backend_up` tells)."""
        now = time.monotonic()
        if now - self._counted_at < PENDING_FRESH_FOR:
            return
        self._counted_at = now
        try:
            async with read_only_session(runtime.sessionmaker) as session:
                employees = (await key_status(session, runtime.part(EmployeeVault))).pending
                documents = await pending_rotation(session, runtime.keyring)
        except Exception as exc:
            log.warning("keys.pending_not_counted", error_type=type(exc).__name__)
            return
        KEY_ROTATION_PENDING.labels("employees").set(employees)
        KEY_ROTATION_PENDING.labels("documents").set(documents)
        try:
            JOB_QUEUE_DEPTH.set(await runtime.queue.depth())
        except Exception as exc:
            log.warning("jobs.depth_not_counted", error_type=type(exc).__name__)
