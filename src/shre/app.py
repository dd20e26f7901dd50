"""The application factory: `create_app(settings)` wires every backend in the lifespan."""

from __future__ import annotations

import asyncio
import gc
import hmac
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from datetime import timedelta
from typing import Any, Final

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre import __version__
from shre.admin.router import router as admin_router
from shre.analytics import cache as analytics_cache
from shre.analytics.router import router as analytics_router
from shre.api.deps import RuntimeDep, bearer_token, document_bearer_auth
from shre.api.middleware import RequestMiddleware
from shre.api.runtime import Runtime
from shre.apidocs.router import router as apidocs_router
from shre.audit import AuditChain, AuditSealer
from shre.audit import attach as attach_audit
from shre.audit.chain import SharedHead
from shre.auditing.router import router as audit_router
from shre.auth import cache as auth_cache
from shre.auth.router import router as auth_router
from shre.auth.service import Authenticator
from shre.auth.throttle import CacheThrottler, LoginThrottler, Throttler
from shre.auth.tokens import TokenCodec
from shre.cache import CacheLayer, create_cache_layer, watch
from shre.cache.sync import CacheSync, installation_id, peers_for, sync_engine
from shre.crypto import Keyring
from shre.crypto.keyring import derive
from shre.db import create_engine, create_sessionmaker, lock_wait_settings, ping
from shre.departments import cache as departments_cache
from shre.departments.router import router as departments_router
from shre.documents import cache as documents_cache
from shre.documents.router import links as document_links_router
from shre.documents.router import router as documents_router
from shre.documents.uploads import attach as attach_uploads
from shre.employees import cache as employees_cache
from shre.employees.router import directory_router
from shre.employees.router import router as employees_router
from shre.employees.vault import EmployeeVault
from shre.imports.router import router as imports_router
from shre.jobs import register_tasks, run_worker
from shre.jobs.registry import TASKS
from shre.kit.errors import NotFound, Unauthorized
from shre.kit.http import ETags
from shre.kit.openapi import document_problems
from shre.kit.problems import install_problem_handlers, problem
from shre.monitor import ScrapedCounts, verify_audit_periodically
from shre.notify import build_notifier
from shre.observability.errors import configure_error_tracking, stop_error_tracking
from shre.observability.logging import configure_logging
from shre.observability.metrics import count_queries, watch_pool
from shre.observability.prometheus import BACKEND_UP, CONTENT_TYPE, exposition
from shre.observability.tracing import (
    configure_tracing,
    instrument_app,
    stop_tracing,
    trace_engine,
)
from shre.queue import build_queue
from shre.rights.router import router as rights_router
from shre.settings import Settings, load_settings
from shre.storage import StorageError, StorageSet, create_storage
from shre.users.passwords import PasswordHasher
from shre.users.router import router as users_router
from shre.web.router import spa_router

log = structlog.get_logger("shre.app")


def register_caches(
    cache: CacheLayer, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Every domain's cache strategy (its `cache.py`): the namespaces, their TTLs and
    what each follows, registered with the layer; the model writes that invalidate,
    watched on the sessions of `sessionmaker`."""
    for domain in (
        auth_cache,
        employees_cache,
        departments_cache,
        documents_cache,
        analytics_cache,
    ):
        cache.register(*domain.namespaces(settings))
    watch(sessionmaker, (*auth_cache.WATCHES, *employees_cache.WATCHES))


def build_runtime(settings: Settings, *, serving: bool = False) -> Runtime:
    """Everything a request or a command needs. `serving` (the web app): the database's
    lock waits are bounded (DATABASE_LOCK_TIMEOUT_MS) on every connection."""
    lock_wait = settings.database_lock_timeout_ms
    engine = create_engine(
        settings, server_settings=lock_wait_settings(lock_wait) if serving else None
    )
    count_queries(engine)
    trace_engine(engine)
    watch_pool(engine)
    keyring = Keyring.from_settings(settings)
    cache = create_cache_layer(settings)
    in_database = LoginThrottler(
        per_account=settings.login_max_failures_per_account,
        per_address=settings.login_max_failures_per_address,
        window=timedelta(seconds=settings.login_failure_window_seconds),
    )
    throttler: Throttler = in_database
    if cache.cache.shared:  # shared by every process (Redis): count there
        throttler = CacheThrottler(cache.cache, in_database)
    # Read events are committed through two connections of their own (see AuditChain).
    audit_engine = create_engine(
        settings.model_copy(update={"database_pool_size": 1}),
        server_settings=lock_wait_settings(settings.audit_lock_timeout_ms),
    )
    count_queries(audit_engine)  # its statements are database work like any other
    trace_engine(audit_engine)
    audit_reads = create_sessionmaker(audit_engine)
    audit = AuditChain(
        AuditSealer(keyring),
        lock_timeout_ms=settings.audit_lock_timeout_ms,
        reads=audit_reads,
        # Processes sharing a Redis tell each other the audit log's head (a guess).
        shared=SharedHead(cache.cache) if cache.cache.shared else None,
    )
    sessionmaker = create_sessionmaker(engine)
    # Every session of the runtime can append audit events (see shre.audit.trail).
    # An audit append need not bound its own wait where every wait is bounded as tightly.
    bounded = serving and lock_wait <= settings.audit_lock_timeout_ms
    attach_audit(sessionmaker, audit, bounded=bounded)
    attach_audit(audit_reads, audit, bounded=True)
    register_caches(cache, sessionmaker, settings)
    attach_uploads(sessionmaker)
    storage = create_storage(settings)
    queue = build_queue(settings)
    queue.attach(sessionmaker)
    register_tasks(queue, TASKS)
    auth = Authenticator(
        hasher=PasswordHasher.from_settings(settings),
        codec=TokenCodec(settings.jwt_key(), timedelta(seconds=settings.access_token_ttl_seconds)),
        throttler=throttler,
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        session_max=timedelta(seconds=settings.refresh_session_max_seconds),
    )
    return Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        authenticate=auth.bind(cache, sessionmaker),
        keyring=keyring,
        etags=ETags(derive(keyring.primary.key, b"shre/etags/v1", 96)),
        audit=audit,
        storage=storage,
        storages=StorageSet(settings, storage),
        cache=cache,
        queue=queue,
        notifier=build_notifier(settings),
        parts={
            Authenticator: auth,
            PasswordHasher: auth.hasher,
            EmployeeVault: EmployeeVault.create(keyring),
            ScrapedCounts: ScrapedCounts(),
        },
    )


async def open_runtime(settings: Settings, *, serving: bool = False) -> Runtime:
    """`build_runtime`, its shared cache scoped to this installation (the database's
    identity), and for a serving process the sync that keeps its cache in step with
    commands and other processes (`shre.cache.sync`). Close it with `Runtime.aclose`."""
    runtime = build_runtime(settings, serving=serving)
    try:
        if serving:
            engine = sync_engine(settings)
            sync = CacheSync(
                runtime.cache,
                engine,
                lambda installation: peers_for(settings, engine, installation),
            )
            await sync.start()
            runtime.sync = sync
        else:
            runtime.cache.cache.scope(await installation_id(runtime.sessionmaker))
    except BaseException:
        await runtime.aclose()
        raise
    return runtime


health = APIRouter(tags=["health"])


@health.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@health.get("/metrics", include_in_schema=False)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Prometheus metrics, every worker's added up; behind METRICS_TOKEN when it is set."""
    if not runtime.settings.metrics_enabled:
        raise NotFound("Metrics are off (METRICS_ENABLED=false)", code="metrics_off")
    token = runtime.settings.metrics_token
    if token is not None:
        given = bearer_token(request).encode()
        if not hmac.compare_digest(given, token.get_secret_value().encode()):
            raise Unauthorized("Scraping needs the bearer METRICS_TOKEN", code="metrics_token")
    await runtime.part(ScrapedCounts).refresh(runtime)
    return Response(exposition(), media_type=CONTENT_TYPE)


@health.get("/readyz", response_model=None)
async def readyz(runtime: RuntimeDep) -> JSONResponse | dict[str, Any]:
    """Readiness: every backend the app needs answers; each check's state and how long
    it took (`latency_ms`). `shre_backend_up{backend}` follows the states."""
    checks: dict[str, str] = {}
    latency: dict[str, float] = {}

    async def check(name: str, probe: Callable[[], Awaitable[str]]) -> None:
        started = time.perf_counter()
        checks[name] = await probe()
        latency[name] = round((time.perf_counter() - started) * 1000, 2)
        BACKEND_UP.labels(name).set(0 if checks[name] != "ok" else 1)

    async def database() -> str:
        try:
            await ping(runtime.engine)
        except Exception as exc:  # any failure means "not ready"; the reason goes to the log
            log.warning("readyz.database_down", error_type=type(exc).__name__)
            return "down"
        return "ok"

    async def storage() -> str:
        try:
            await runtime.storage.check()
        except StorageError as exc:
            log.warning("readyz.storage_down", backend=runtime.storage.backend, error=str(exc))
            return "down"
        return "ok"

    async def cache() -> str:
        # A cache that is down slows requests but fails none: reported, never "not ready".
        return "ok" if await runtime.cache.cache.ping() else "degraded"

    await check("database", database)
    await check("storage", storage)
    if runtime.cache.cache.is_enabled():
        await check("cache", cache)
    if all(v in ("ok", "degraded") for v in checks.values()):
        return {"status": "ok", "checks": checks, "latency_ms": latency}
    down = ", ".join(name for name, state in checks.items() if state == "down")
    return problem(
        503,
        f"A backend is down: {down}",
        code="not_ready",
        extra={"checks": checks, "latency_ms": latency},
    )


# Each straight under the app (not through one /api/v1 router): one level less of matching
# on every request. The busiest first: a request is matched against the routers in this
# order (their prefixes do not overlap), each one costing a little.
API_ROUTERS = (
    employees_router,
    directory_router,
    imports_router,
    rights_router,
    documents_router,
    document_links_router,
    departments_router,
    auth_router,
    users_router,
    audit_router,
    analytics_router,
    admin_router,
)


# A server's collector thresholds (CPython's are 700, 10, 10). Thousands of open
# connections are tens of thousands of long-lived objects: at the default thresholds
# the collector walked them every few seconds, in full every second while connections
# arrived, stalling every request of the worker for 25-200 ms each time (10,000 users:
# p99 0.4-0.9 s). Collections 70 times rarer cost no more in all, and p99 fell to
# about 0.12 s (bench.users); cycles are rare here, reference counting frees the rest.
SERVER_GC_THRESHOLDS: Final = (50_000, 20, 100)


def create_app(settings: Settings, *, server: bool = False) -> FastAPI:
    """The application. `server`: it is the whole life of this process (`shre serve`),
    so what startup built is frozen out of the garbage collector's full passes."""
    configure_logging(settings)
    # Each at most once per process, and only when its endpoint or DSN is set.
    configure_error_tracking(settings)
    configure_tracing(settings)
    app = FastAPI(
        title="shre",
        version=__version__,
        summary="Employee data & document management",
        lifespan=_lifespan(settings, server=server),
        # /docs is served from the package (shre.apidocs), not from a CDN.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json",
    )
    install_problem_handlers(app)
    _include_routes(app)
    app.add_middleware(
        RequestMiddleware,
        default_limit=settings.max_json_body_kb * 1024,
        # The file may be MAX_UPLOAD_MB (an import's IMPORT_MAX_MB); its multipart framing
        # and fields come on top.
        overrides=[
            ("/api/v1/documents", settings.max_upload_mb * 1024 * 1024 + 256 * 1024),
            ("/api/v1/imports", settings.import_max_mb * 1024 * 1024 + 256 * 1024),
        ],
        production=settings.is_production,
        metrics=settings.metrics_enabled,
        max_concurrent=settings.max_concurrent_requests,
        queue=settings.admission_queue,
        queue_timeout=settings.admission_timeout_ms / 1000,
        retry_after=settings.admission_retry_after_seconds,
        templates={
            id(route): "/api/v1" + route.path  # routes are unhashable; these live on
            for router in API_ROUTERS
            for route in router.routes
            if isinstance(route, APIRoute)
        },
    )
    # Last: the request's span encloses every middleware (RequestMiddleware's access log).
    instrument_app(app)
    return app


def _lifespan(
    settings: Settings, *, server: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The runtime opened at start and closed at the end, and what a server process runs
    beside its requests (the audit chain's periodic verification)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await open_runtime(settings, serving=True)
        app.state.runtime = runtime
        thresholds = gc.get_threshold()
        if server:
            # Startup leaves some 150,000 objects that live as long as the process; a full
            # collection walking them all stalls a request for 60-80 ms now and then.
            # Frozen, they are never walked again (CPython's gc.freeze).
            gc.collect()
            gc.freeze()
            gc.set_threshold(*SERVER_GC_THRESHOLDS)
        log.info(
            "app.started",
            env=settings.shre_env,
            database=runtime.engine.dialect.name,
            dev_secrets=list(settings.dev_secrets_generated),
        )
        if settings.shre_ai:
            from shre.intelligence import ai_available

            missing = ai_available()
            if missing is not None:
                log.warning("ai.unavailable", reason=missing)
        background: list[asyncio.Task[None]] = []
        interval = settings.audit_verify_interval_seconds
        if server and interval:
            background.append(asyncio.create_task(verify_audit_periodically(runtime, interval)))
        if settings.runs_jobs_in_process:
            background.append(asyncio.create_task(run_worker(runtime, signals=False)))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
            if server:
                gc.unfreeze()
                gc.set_threshold(*thresholds)
            await runtime.aclose()
            log.info("app.stopped")
            # The spans and reports still queued go now; a server's process ends here.
            stop_tracing(process_ends=server)
            if server:
                stop_error_tracking()

    return lifespan


def _include_routes(app: FastAPI) -> None:
    """The API under /api/v1 with its documented problems, then health, the API's docs
    and the web app."""
    for router in API_ROUTERS:
        app.include_router(router, prefix="/api/v1")
    document_bearer_auth(app, "/api/v1", API_ROUTERS)
    document_problems(
        app,
        # Reads a role or rule can refuse (403); every write can be refused anyway.
        refusing=(
            "/api/v1/employees",  # ?ssn= is for hr and admin
            "/api/v1/users*",
            "/api/v1/audit*",
            "/api/v1/admin*",
        ),
        throttled=("/api/v1/auth/login",),
    )
    app.include_router(health)
    app.include_router(apidocs_router)
    app.include_router(spa_router())  # last: every path no other route answers


def create_app_from_env() -> FastAPI:
    """Entry point for `uvicorn --factory` (used by `shre serve` with several workers)."""
    return create_app(load_settings(), server=True)
