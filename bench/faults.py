"""Faults under load (issue 21, goal 4): Redis killed and started again, PostgreSQL
restarted, the S3 server (SeaweedFS) stopped and started during uploads, and a worker
process killed, while writers and readers keep going; then what every client was told is
checked against what the database holds.

    python -m bench.faults [--phase 15] [--writers 8] [--uploaders 2] [--readers 8]
                           [--employees 1000] [--workers 2]

Everything runs on servers of the benchmark's own, so that it can kill them: a
PostgreSQL cluster (initdb, as the `postgres` user when run as root) on a free port, a
redis-server, a SeaweedFS, and `shre serve --workers 2` (production settings, S3
storage, Redis on). The load: writers change employees' phone numbers (each writer its
own employees, one request at a time, every value unique, every request an
X-Request-ID of its own), uploaders upload small documents with unique titles, readers
read list pages and records as hr. The phases, each `--phase` seconds: calm; Redis
killed (SIGKILL) / started again; PostgreSQL restarted (`pg_ctl restart -m fast`), then
calm; SeaweedFS stopped / started again; a worker killed (SIGKILL; uvicorn starts
another); calm.

Checked afterwards (a failed check ends the run with status 1):
- every acknowledged (2xx) write is in the database exactly once: its audit event (by
  request id) is there once, and each employee's phone is the last value acknowledged;
- no refused or failed write is: no audit event of its request id, no document of its
  title;
- every acknowledged upload's file reads back, byte for byte;
- reads were answered while Redis was away;
- the audit chain verifies (`shre audit verify`);
- the cache serves nothing stale: every employee written reads back, through the API
  (Redis on again), with the phone the database holds.
Reported: by phase (the one a request was answered in), requests and statuses; for the
writes that could not proceed, their statuses, whether they carried Retry-After, and how
long they took (the goal: a clear 503 with Retry-After within 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from tests.support.servers import SeaweedFS

from bench.demo import seed
from bench.load import Redis, login, serve, server_env, shre
from bench.me_latency import free_port
from bench.users import worker_pids

PHASES = ("calm", "redis down", "redis back", "postgres restarted", "s3 down", "s3 back",
          "worker killed", "calm again")  # fmt: skip


class Postgres:
    """A PostgreSQL cluster of the benchmark's own, on a free port (trust auth)."""

    def __init__(self, workdir: Path) -> None:
        self.data = workdir / "pg"
        self.port = free_port()
        self.bin = Path(
            subprocess.run(
                ["pg_config", "--bindir"], check=True, capture_output=True, text=True
            ).stdout.strip()
        )

    def _run(self, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *args], check=True, capture_output=True)

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        log = str(self.data / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, *args)

    def init(self) -> None:
        self.data.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            os.chmod(self.data.parent, 0o755)  # noqa: S103 - postgres must reach its data
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", "shre")  # fmt: skip

    def start(self) -> None:
        self._ctl("-w", "start")

    def restart(self) -> None:
        self._ctl("-w", "-m", "fast", "restart")

    def stop(self) -> None:
        self._ctl("-w", "-m", "fast", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/shre"


@dataclass
class Sent:
    """One request and what its client was told."""

    kind: str  # write, upload, read
    phase: str
    request_id: str
    status: int  # 0: no answer (connection refused, lost, timed out)
    seconds: float
    retry_after: bool
    employee: str | None = None
    value: str | None = None  # the phone written, or the upload's title
    document: str | None = None  # an acknowledged upload's id
    content: bytes = b""


@dataclass
class Run:
    url: str
    token: str
    phase: str = PHASES[0]
    stop: bool = False
    sent: list[Sent] = field(default_factory=list)


async def ask(
    client: httpx.AsyncClient, run: Run, kind: str, method: str, path: str, **kw: object
) -> tuple[Sent, httpx.Response | None]:
    request_id = uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {run.token}", "X-Request-ID": request_id}
    started = time.perf_counter()
    try:
        response = await client.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]
    except httpx.TransportError:
        response = None
    sent = Sent(
        kind,
        run.phase,  # when it was answered (or lost)
        request_id,
        0 if response is None else response.status_code,
        time.perf_counter() - started,
        response is not None and "retry-after" in response.headers,
    )
    run.sent.append(sent)
    return sent, response


async def writer(run: Run, mine: list[str], n: int) -> None:
    async with httpx.AsyncClient(base_url=run.url, timeout=10) as client:
        count = 0
        while not run.stop:
            employee = mine[count % len(mine)]
            count += 1
            value = f"+41 {n:02d} {count:07d}"
            sent, _ = await ask(
                client, run, "write", "PATCH", f"/api/v1/employees/{employee}",
                json={"phone": value},
            )  # fmt: skip
            sent.employee, sent.value = employee, value
            if sent.status >= 300 or sent.status == 0:
                await asyncio.sleep(0.2)


async def uploader(run: Run, employees: list[str], n: int) -> None:
    async with httpx.AsyncClient(base_url=run.url, timeout=10) as client:
        count = 0
        while not run.stop:
            count += 1
            title = f"fault-{n}-{count}"
            content = f"{title}\n{uuid.uuid4()}\n".encode()
            sent, response = await ask(
                client, run, "upload", "POST", "/api/v1/documents",
                data={"employee_id": employees[count % len(employees)], "category": "other",
                      "title": title},
                files={"file": (f"{title}.txt", content, "text/plain")},
            )  # fmt: skip
            sent.value, sent.content = title, content
            if response is not None and sent.status < 300:
                sent.document = response.json()["id"]
            else:
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.1)


async def reader(run: Run, paths: list[str], n: int) -> None:
    async with httpx.AsyncClient(base_url=run.url, timeout=10) as client:
        count = n
        while not run.stop:
            count += 1
            await ask(client, run, "read", "GET", paths[count % len(paths)])


def report(sent: list[Sent]) -> None:
    print(f"{'phase':<20} {'kind':<7} {'sent':>6}  statuses")
    for phase in PHASES:
        for kind in ("write", "upload", "read"):
            these = [s for s in sent if s.phase == phase and s.kind == kind]
            statuses = dict(sorted(Counter(s.status for s in these).items()))
            print(f"{phase:<20} {kind:<7} {len(these):>6}  {statuses}")
    refused = [s for s in sent if s.kind != "read" and not 200 <= s.status < 300]
    if refused:
        slowest = max(s.seconds for s in refused)
        with_retry = sum(s.retry_after for s in refused)
        print(
            f"writes not done: {len(refused)}, statuses {dict(Counter(s.status for s in refused))}"
            f", with Retry-After {with_retry}, slowest answer {slowest * 1000:.0f} ms, "
            f"over 1 s: {sum(s.seconds > 1 for s in refused)}"
        )


async def check(run: Run, database: str) -> list[str]:
    """What the clients were told against what the database holds: the failures."""
    failures: list[str] = []
    writes = [s for s in run.sent if s.kind == "write"]
    uploads = [s for s in run.sent if s.kind == "upload"]
    db = await asyncpg.connect(database)
    try:
        rows = await db.fetch(
            "SELECT request_id, count(*) AS n FROM audit_events WHERE action = 'employee.update'"
            " AND request_id = ANY($1::text[]) GROUP BY request_id",
            [s.request_id for s in writes],
        )
        events = {r["request_id"]: r["n"] for r in rows}
        phones = {
            str(r["id"]): r["phone"]
            for r in await db.fetch(
                "SELECT id, phone FROM employees WHERE id = ANY($1::uuid[])",
                list({s.employee for s in writes}),
            )
        }
        titles = Counter(
            r["title"]
            for r in await db.fetch("SELECT title FROM documents WHERE title LIKE 'fault-%'")
        )
    finally:
        await db.close()
    lost = [s for s in writes if 200 <= s.status < 300 and events.get(s.request_id) != 1]
    ghosts = [s for s in writes if s.status >= 300 and s.request_id in events]
    unknown = [s for s in writes if s.status == 0]  # no answer: either is right
    last: dict[str, Sent] = {}
    for s in writes:
        if 200 <= s.status < 300:
            last[s.employee or ""] = s
    stale_db = [e for e, s in last.items() if phones.get(e) != s.value and not any(
        u.employee == e and u.value == phones.get(e) for u in unknown)]  # fmt: skip
    done_uploads = [s for s in uploads if 200 <= s.status < 300]
    upload_lost = [s for s in done_uploads if titles.get(s.value or "") != 1]
    upload_ghosts = [s for s in uploads if s.status >= 300 and titles.get(s.value or "")]
    print(
        f"writes acknowledged {sum(200 <= s.status < 300 for s in writes)}: not in the log "
        f"once {len(lost)}; refused {sum(s.status >= 300 for s in writes)}: in the log "
        f"{len(ghosts)}; unanswered {len(unknown)}; employees whose phone is not the last "
        f"acknowledged {len(stale_db)} of {len(last)}"
    )
    print(
        f"uploads acknowledged {len(done_uploads)}: missing or twice {len(upload_lost)}; "
        f"refused {sum(s.status >= 300 for s in uploads)}: stored anyway {len(upload_ghosts)}"
    )
    found = {
        "lost writes": lost,
        "refused writes applied": ghosts,
        "phones not the last acknowledged": stale_db,
        "lost uploads": upload_lost,
        "refused uploads stored": upload_ghosts,
    }
    failures += [f"{name}: {len(them)}" for name, them in found.items() if them]

    async with httpx.AsyncClient(base_url=run.url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {run.token}"}
        unread = 0
        for s in done_uploads:
            got = await client.get(f"/api/v1/documents/{s.document}/content", headers=headers)
            unread += got.status_code != 200 or got.content != s.content
        stale = 0
        for employee, phone in phones.items():
            got = await client.get(f"/api/v1/employees/{employee}", headers=headers)
            stale += got.status_code != 200 or got.json().get("phone") != phone
        # The list page the writers' employees came from (cached since the start).
        listed = await client.get("/api/v1/employees?page_size=500&fields=phone", headers=headers)
        on_page = {p["id"]: p.get("phone") for p in listed.json()["items"]}
        stale += sum(on_page.get(e, phone) != phone for e, phone in phones.items())
    print(
        f"uploads that do not read back: {unread}; records and list rows the API serves "
        f"stale: {stale}"
    )
    if unread:
        failures.append(f"uploads that do not read back: {unread}")
    if stale:
        failures.append(f"stale records served: {stale}")
    away = [s for s in run.sent if s.kind == "read" and s.phase == "redis down"]
    unanswered = [s for s in away if not 200 <= s.status < 300]
    print(f"reads while Redis was away: {len(away)}, not answered 2xx: {len(unanswered)}")
    if not away or unanswered:
        failures.append(f"reads while Redis was away not answered: {len(unanswered)}")
    return failures


def audit_verifies(env: dict[str, str], cwd: Path) -> bool:
    verified = subprocess.run(
        [sys.executable, "-m", "shre", "audit", "verify"], env=env, cwd=cwd, capture_output=True,
        text=True,
    )  # fmt: skip
    print(f"shre audit verify: exit {verified.returncode}: {verified.stdout.strip()[-300:]}")
    return verified.returncode == 0


@contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="shre-faults-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def drive(run: Run, args: argparse.Namespace, faults: dict[str, object]) -> None:
    async with httpx.AsyncClient(base_url=run.url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {run.token}"}
        first = await client.get("/api/v1/employees?page_size=500&fields=phone", headers=headers)
        people = first.json()
    ids = [p["id"] for p in people["items"]]
    per = max(1, min(20, len(ids) // max(1, args.writers)))
    reads = [f"/api/v1/employees?page={n}" for n in range(1, 11)]
    reads += [f"/api/v1/employees/{i}" for i in ids[:100]]
    tasks = [asyncio.create_task(writer(run, ids[n * per : (n + 1) * per], n))
             for n in range(args.writers)]  # fmt: skip
    tasks += [asyncio.create_task(uploader(run, ids, n)) for n in range(args.uploaders)]
    tasks += [asyncio.create_task(reader(run, reads, n)) for n in range(args.readers)]
    loop = asyncio.get_running_loop()
    for phase in PHASES:
        run.phase = phase
        print(f"{time.strftime('%H:%M:%S')} {phase}", flush=True)
        action = faults.get(phase)
        if callable(action):
            await loop.run_in_executor(None, action)
        await asyncio.sleep(args.phase)
    run.stop = True
    await asyncio.gather(*tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", type=float, default=15.0)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--uploaders", type=int, default=2)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with workdir() as cwd:
        postgres = Postgres(cwd)
        postgres.init()
        redis = Redis(cwd)
        weed_data = cwd / "s3"
        weed_data.mkdir()
        s3 = SeaweedFS(weed_data)
        server = None
        try:
            bucket = s3.start()
            database = postgres.url.replace("postgresql://", "postgresql+asyncpg://")
            env = server_env(
                database, redis, REDIS_ENABLED="true", S3_ENABLED="true",
                S3_ENDPOINT_URL=bucket.endpoint, S3_BUCKET=bucket.bucket,
                S3_ACCESS_KEY_ID=bucket.access_key, S3_SECRET_ACCESS_KEY=bucket.secret_key,
                S3_MAX_ATTEMPTS="2",
            )  # fmt: skip
            env["ACCESS_TOKEN_TTL_SECONDS"] = "7200"
            shre(env, cwd, "migrate")
            demo, _ = seed(env, cwd, args.employees)
            redis.start()
            port = free_port()
            server = serve(env, cwd, port, args.workers)
            url = f"http://127.0.0.1:{port}"
            run = Run(url, login(url, demo.email("hr"), demo.password("hr")))

            def kill_a_worker() -> None:
                os.kill(worker_pids(server.pid)[0], signal.SIGKILL)

            faults: dict[str, object] = {
                "redis down": redis.kill,
                "redis back": redis.start,
                "postgres restarted": postgres.restart,
                "s3 down": s3.stop,
                "s3 back": s3.start,
                "worker killed": kill_a_worker,
            }
            asyncio.run(drive(run, args, faults))
            report(run.sent)
            failures = asyncio.run(check(run, postgres.url))
            if not audit_verifies(env, cwd):
                failures.append("the audit chain does not verify")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            redis.kill()
            s3.stop()
            postgres.stop()
    if failures:
        print("FAILED: " + "; ".join(failures))
        raise SystemExit(1)
    print("every check passed")


if __name__ == "__main__":
    main()
