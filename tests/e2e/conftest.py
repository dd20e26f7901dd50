"""One real shre server for the browser tests: its own PostgreSQL database, migrated and
seeded by the `shre` command as an operator would, a Redis of its own, documents on
local disk; one headless Chromium, a fresh browser context per page. All of it lives
while this package's tests run (package scope), and is gone before the next package's."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WebApp,
    demo_sign_ins,
    require_browser,
)
from tests.support.cli import Server, clean_env
from tests.support.database import own_database
from tests.support.servers import RedisServer, free_port

pytestmark = pytest.mark.browser

# As long as an action may wait (the contexts' default, tests/support/browser.py): the
# suite runs in parallel (make test), and a busy machine may take more than expect's 5 s.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="package")
async def e2e_database() -> AsyncIterator[str]:
    async with own_database("shre_e2e") as url:
        yield url


@pytest.fixture(scope="package")
def web_app(tmp_path_factory: pytest.TempPathFactory, e2e_database: str) -> Iterator[WebApp]:
    require_browser()
    workdir = tmp_path_factory.mktemp("e2e")
    redis = RedisServer(workdir)
    redis.start()
    env = clean_env(
        DATABASE_URL=e2e_database,
        SHRE_ENV="development",
        SHRE_VAR_DIR=str(workdir / "var"),
        UPLOAD_DIR=str(workdir / "uploads"),
        REDIS_ENABLED="true",
        REDIS_HOST="127.0.0.1",
        REDIS_PORT=str(redis.port),
        LOG_FORMAT="json",
    )

    def shre(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "shre", *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    shre("migrate")
    sign_ins = demo_sign_ins(shre("seed-demo", "--employees", "120"))
    server = Server(workdir, free_port(), env)
    log = workdir / "server.log"
    # Production's layout: the jobs (uploads' processing) run in a worker beside it.
    worker_log = (workdir / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "shre", "worker", "--concurrency", "2"],
        cwd=workdir,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield WebApp(server.url, sign_ins, log, workdir / "uploads")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        finally:
            if worker.poll() is None:
                worker.kill()
            worker_log.close()
        log.write_text(server.stop())
        redis.stop()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    require_browser()
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def browser(chromium: Browser) -> Iterator[Browser]:
    """The browser, for one test: every context the test opened is closed after it (a
    page left open would go on polling the server)."""
    before = set(chromium.contexts)
    yield chromium
    for context in set(chromium.contexts) - before:
        context.close()
