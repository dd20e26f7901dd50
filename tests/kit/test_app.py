"""The app's edges: health, OpenAPI, and problem+json for every kind of error."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shre import db
from shre.api.deps import DbSession
from shre.app import SERVER_GC_THRESHOLDS, create_app
from shre.kit.sql import is_unreachable
from shre.settings import Settings
from tests.support.accounts import Account
from tests.support.app import assert_problem, base_settings


async def test_healthz_and_readyz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    # The embedded defaults: SQLite, local file storage, the in-process cache.
    body = ready.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "storage": "ok", "cache": "ok"}
    assert body.keys() == {"status", "checks", "latency_ms"}
    assert body["latency_ms"].keys() == body["checks"].keys()
    assert all(isinstance(ms, float | int) and ms >= 0 for ms in body["latency_ms"].values())


async def test_readyz_is_503_when_the_database_is_down(tmp_path: Path, free_port: int) -> None:
    settings = base_settings(tmp_path, f"postgresql+asyncpg://nobody@127.0.0.1:{free_port}/none")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/readyz")
    body = assert_problem(response, 503, "not_ready")
    assert body["checks"]["database"] == "down"
    assert body["checks"]["storage"] == "ok"
    assert body["latency_ms"].keys() == body["checks"].keys()
    assert "nobody" not in response.text


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
    ]:
        assert path in spec["paths"], path
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/nothing-here"), 404)
    assert "/api/v1/nothing-here" in body["detail"]


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.put("/healthz"), 405)


async def test_validation_errors_list_the_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"password": "x" * 20})
    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["email"]
    assert "x" * 20 not in response.text


async def test_malformed_json_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": "a@b.c", "password": ',
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 422, "invalid_json")


async def test_oversized_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    big = b'{"email": "a@example.com", "password": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    assert_problem(
        await client.post(
            "/api/v1/auth/login", content=big, headers={"content-type": "application/json"}
        ),
        413,
        "body_too_large",
    )


async def test_oversized_streamed_body_without_length_is_refused(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(20):
            yield b"x" * (256 * 1024)
        yield b'"}'

    response = await client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "body_too_large")


async def test_unhandled_errors_are_500_without_internals(
    app: FastAPI, client: httpx.AsyncClient, admin: Account, capfd: pytest.CaptureFixture[str]
) -> None:
    secret_value = "4111-1111-1111-1111"

    async def explode(session: DbSession) -> None:
        await session.execute(
            text("SELECT * FROM no_such_table WHERE secret = :v"), {"v": secret_value}
        )

    app.add_api_route("/api/v1/test-boom", explode)
    response = await client.get("/api/v1/test-boom")
    body = assert_problem(response, 500)
    assert "no_such_table" not in response.text
    assert "Traceback" not in response.text
    assert secret_value not in response.text
    assert secret_value not in capfd.readouterr().err
    assert body["detail"] == "An internal error occurred; it has been logged."


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    hostile = await client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert hostile.headers["x-request-id"] != "bad id"
    assert len(hostile.headers["x-request-id"]) == 32


async def test_a_request_is_503_when_the_database_cannot_be_reached(
    tmp_path: Path, free_port: int
) -> None:
    """Not a 500: the client learns the database is unavailable and when to try again."""
    settings = base_settings(tmp_path, f"postgresql+asyncpg://nobody@127.0.0.1:{free_port}/none")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/api/v1/auth/login", json={"email": "a@example.com", "password": "x" * 12}
            )
    assert_problem(response, 503, "database_unavailable")
    assert response.headers["Retry-After"] == "2"
    assert "nobody" not in response.text


async def test_a_server_freezes_what_startup_built_out_of_full_collections(
    settings: Settings,
) -> None:
    """`shre serve`'s app (server=True) freezes the objects startup left and collects
    rarely, for as long as it serves; an app built for something else (these tests)
    changes neither."""
    assert gc.get_freeze_count() == 0
    thresholds = gc.get_threshold()
    assert thresholds != SERVER_GC_THRESHOLDS
    embedded = create_app(settings)
    async with embedded.router.lifespan_context(embedded):
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == thresholds
    served = create_app(settings, server=True)
    async with served.router.lifespan_context(served):
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == SERVER_GC_THRESHOLDS
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds


@pytest.mark.postgres
async def test_a_request_waits_for_a_connection_then_is_503_at_its_deadline(
    tmp_path: Path, postgres_url: str
) -> None:
    """The pool is a queue with a deadline (DATABASE_POOL_TIMEOUT_MS), not a stampede of
    new connections: past it, 503 with Retry-After."""
    settings = base_settings(
        tmp_path, postgres_url, database_pool_size=1, database_pool_timeout_ms=100
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        engine = app.state.runtime.engine
        transport = httpx.ASGITransport(app=app)
        login = {"email": "nobody@example.com", "password": "x" * 12}
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            # The pool's one connection and its one overflow, both lent out.
            async with engine.connect() as one, engine.connect() as other:
                for held in (one, other):
                    assert (await held.execute(text("SELECT 1"))).scalar() == 1
                busy = await client.post("/api/v1/auth/login", json=login)
            freed = await client.post("/api/v1/auth/login", json=login)
    body = assert_problem(busy, 503, "database_unavailable")
    assert "no connection free" in body["detail"]
    assert busy.headers["Retry-After"] == "2"
    assert_problem(freed, 401, "invalid_credentials")


@pytest.mark.postgres
async def test_a_connection_the_server_dropped_while_it_idled_is_replaced_unseen(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection idle past PING_AFTER_IDLE_SECONDS is pinged before it is lent:
    one whose server process is gone (a restart, an idle cut) is replaced with every
    connection pooled before it, and the caller never sees it. One lent again at once is
    not pinged: if the server went meanwhile, its statement fails as a disconnect (503
    `database_unavailable`), and the next one gets a new connection."""
    engine = db.create_engine(base_settings(tmp_path, postgres_url))

    async def backend() -> int:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    async def terminate(pid: int) -> None:
        async with engine.connect() as conn:  # another connection of the pool's
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    try:
        async with engine.connect() as one, engine.connect() as two:  # two pooled
            first = int((await one.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            await two.execute(text("SELECT 1"))
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
        await terminate(first)
        assert await backend() not in {first}  # pinged, replaced: no error
        assert await backend() not in {first}

        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)
        pid = await backend()
        await terminate(pid)
        with pytest.raises(DBAPIError) as failed:
            await backend()
        assert is_unreachable(failed.value)
        assert await backend() != pid
    finally:
        await engine.dispose()
