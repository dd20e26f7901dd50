"""Prometheus metrics (`/metrics`, the names of docs/CONTRACT.md's operations section):
one registry across the worker processes of `shre serve`.

With several workers, `shre serve` points PROMETHEUS_MULTIPROC_DIR at a directory of its
own before the workers start: each worker writes its values to files there, and
`/metrics`, whichever worker answers, adds them all up (prometheus-client's
multiprocess mode). A single process keeps them in memory.

No label holds an id, an email or anything a client typed: routes are their templates
(`/api/v1/employees/{employee_id}`), methods one of the known ones."""

from __future__ import annotations

import os
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)

# No `*_created` series: a timestamp per label set that no dashboard or rule reads.
disable_created_metrics()  # type: ignore[no-untyped-call]

MULTIPROC_DIR: Final = "PROMETHEUS_MULTIPROC_DIR"

# In multiprocess mode every value written first asks whether the process forked since
# (a new process writes files of its own): by default with a getpid system call, several
# per request. The id is read once here instead, and again in a forked child.
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


def _process_id() -> int:
    return _pid


os.register_at_fork(after_in_child=_forked)
if os.environ.get(MULTIPROC_DIR):
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_id)  # type: ignore[no-untyped-call]
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
# A request no route answered (a 404 before routing, a body refused by its length).
UNMATCHED: Final = "unmatched"
METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DB_STATEMENTS = Counter("shre_db_statements_total", "SQL statements sent to the database")
AUDIT_EVENTS = Counter(
    "shre_audit_events_total", "Audit events appended to the chain", ["action", "outcome"]
)
LOGIN_FAILURES = Counter("shre_login_failures_total", "Sign-ins refused (wrong credentials)")
# 1 when the backend answered the latest readiness check (/readyz), else 0 (a cache
# that is down is "degraded" there, and 0 here). With several workers: the latest
# check's, whichever worker made it.
BACKEND_UP = Gauge(
    "shre_backend_up",
    "Whether a backend answered the latest readiness check",
    ["backend"],
    multiprocess_mode="mostrecent",
)

# Documents' bytes through the storage backend (`local` or `s3`), by direction: `write`
# (uploads, migrations) and `read` (downloads).
STORAGE_BYTES = Counter(
    "shre_storage_bytes_total",
    "Document bytes written to or read from the storage backend",
    ["backend", "direction"],
)
# A storage operation that failed (S3 refused or unreachable, a local disk error), by
# backend and operation (put, get, delete, head, list, multipart).
STORAGE_ERRORS = Counter(
    "shre_storage_errors_total",
    "Storage operations that failed",
    ["backend", "operation"],
)
# The database connection pool: connections lent out now, and those beyond the pool's
# size (max overflow). Summed over live workers.
DB_POOL_IN_USE = Gauge(
    "shre_db_pool_in_use",
    "Database connections checked out of the pool",
    multiprocess_mode="livesum",
)
DB_POOL_OVERFLOW = Gauge(
    "shre_db_pool_overflow",
    "Database connections open beyond the pool's size",
    multiprocess_mode="livesum",
)
# 1 while a worker's circuit breaker keeps Redis out (reads go to the database).
CACHE_CIRCUIT_OPEN = Gauge(
    "shre_cache_circuit_open",
    "Whether the cache's circuit breaker is open (Redis left alone after failures)",
    multiprocess_mode="livemax",
)
# Key rotation's progress: records still sealed under a retired key, by kind
# (`employees`, `documents`), counted when /metrics is scraped.
KEY_ROTATION_PENDING = Gauge(
    "shre_key_rotation_pending",
    "Records still sealed under a retired encryption key",
    ["kind"],
    multiprocess_mode="mostrecent",
)
# The periodic verification of the audit chain (`shre.monitor`, the check of `shre audit
# verify`): when it last passed and when it last failed (Unix time; 0: never). Failing
# means the latest failure is newer than the latest success. Timestamps, not a 0/1
# gauge: a process that has not checked yet (or whose turn it was not) reads 0 and
# counts for nothing under max().
AUDIT_VERIFY_LAST_SUCCESS = Gauge(
    "shre_audit_verify_last_success_timestamp_seconds",
    "When the audit chain last verified (Unix time)",
    multiprocess_mode="max",
)
AUDIT_VERIFY_LAST_FAILURE = Gauge(
    "shre_audit_verify_last_failure_timestamp_seconds",
    "When a verification of the audit chain last failed (Unix time)",
    multiprocess_mode="max",
)
# Requests a worker refused at once because it had more than it could answer in time
# (503 with Retry-After, shre.api.admission): its queue was full, or a request waited
# longer than ADMISSION_TIMEOUT_MS. Not in http_requests_total.
HTTP_REFUSED = Counter(
    "shre_http_requests_refused_total", "Requests refused by admission (503)", ["reason"]
)
# Background jobs (the queue of `shre worker`): runs by task and outcome (`succeeded`,
# `failed`, `retried`), and jobs waiting.
JOBS = Counter("shre_jobs_total", "Background jobs run", ["task", "outcome"])
JOB_QUEUE_DEPTH = Gauge(
    "shre_job_queue_depth", "Background jobs waiting to run", multiprocess_mode="mostrecent"
)

CACHE_REQUESTS = Counter(
    "shre_cache_requests_total",
    "Cached reads by namespace (one record's under its family's name) and result: hit, "
    "miss (loaded), patched (rows changed in place brought up to date), bypass (the "
    "cache was off, down or had invalidations pending: read from the database)",
    ["namespace", "result"],
)
# Each labelled counter's children, looked up once per process: `labels()` costs more
# than the increment itself. Keyed by the metric's id (every metric here lives as long
# as the process) and the label values, which are few by construction.
_counters: dict[tuple[int, tuple[str, ...]], Counter] = {}


def _child(metric: Counter, *labels: str) -> Counter:
    key = (id(metric), labels)
    found = _counters.get(key)
    if found is None:
        found = _counters[key] = metric.labels(*labels)
    return found


def count_cache(namespace: str, result: str) -> None:
    """One cached read of `namespace` (`employee:<id>` counts as `employee`: the children
    are kept by family, one per family and result, never one per id)."""
    _child(CACHE_REQUESTS, namespace.partition(":")[0], result).inc()


def count_refused(reason: str) -> None:
    """A request refused by admission: `queue_full` or `queue_timeout`."""
    _child(HTTP_REFUSED, reason).inc()


def count_storage_bytes(backend: str, direction: str, size: int) -> None:
    """`size` bytes of a document written (`write`) to or read (`read`) from `backend`."""
    _child(STORAGE_BYTES, backend, direction).inc(size)


def count_storage_error(backend: str, operation: str) -> None:
    """A failed storage operation (a backend's fault, never a client's: a missing object
    or an upload over the limit is not one)."""
    _child(STORAGE_ERRORS, backend, operation).inc()


# Each (method, route, status)'s pair of children (the same reason as `_counters`).
_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration. (The method is folded first: the
    children kept are as few as the label sets, whatever methods clients make up.)"""
    key = (method if method in METHODS else "OTHER", route, status)
    found = _children.get(key)
    if found is None:
        found = _children[key] = (
            HTTP_REQUESTS.labels(key[0], route, str(status)),
            HTTP_DURATION.labels(key[0], route),
        )
    found[0].inc()
    found[1].observe(seconds)


def exposition() -> bytes:
    """Every metric in Prometheus' text format: this process's, or with several workers
    all of theirs added up."""
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
