"""Who may use the rights' endpoints, the legal hold and what it refuses (erasure,
document deletion, the purges, `shre keys shred`), and retention: documents by category
and former employees after EMPLOYEE_RETENTION_YEARS, by the daily job."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.documents.maintenance import purge
from shre.jobs.maintenance import purge as daily_purge
from shre.policy import Role
from shre.settings import Settings
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import events, verify
from tests.support.cli import clean_env, command_env, shre
from tests.support.documents import DOCS, files_under, row_counts, uploaded
from tests.support.employees import execute, sign_in
from tests.support.rights import HOLD, former_employee, stored_keys, url

ROUTES = (
    ("GET", "/export", None),
    ("POST", "/erase", {"reason": "request"}),
    ("PUT", "/legal-hold", {"reason": HOLD}),
    ("DELETE", "/legal-hold", None),
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


async def _call(
    client: httpx.AsyncClient, method: str, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_only_hr_and_admin_use_them(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
    method: str,
    suffix: str,
    body: Any,
) -> None:
    person = await former_employee(client, admin, accounts)
    # A manager, and the person themself (access requests go through hr): 403 before
    # anything is read, and the refusal is recorded.
    manager = await sign_in(accounts, Role.MANAGER, f"m-{uuid.uuid4().hex[:6]}@example.com")
    for headers in (manager, person.user_headers):
        response = await _call(client, method, url(person.id, suffix), body, headers)
        assert_problem(response, 403, "hr_only")
        unknown = await _call(client, method, url(uuid.uuid4(), suffix), body, headers)
        assert_problem(unknown, 403, "hr_only")
    denied = [e for e in await events(runtime) if e.outcome == "denied"]
    assert len(denied) == 4
    hr = await sign_in(accounts, Role.HR, f"hr-{uuid.uuid4().hex[:6]}@example.com")
    unknown = await _call(client, method, url(uuid.uuid4(), suffix), body, hr)
    assert_problem(unknown, 404, "employee_not_found")
    answered = await _call(client, method, url(person.id, suffix), body, hr)
    assert answered.status_code == 200, answered.text


@pytest.mark.parametrize("reason", ["", " ", "x" * 501, "a\x00b"])
async def test_a_reason_is_required(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, reason: str
) -> None:
    person = await former_employee(client, admin, accounts)
    for suffix in ("/legal-hold", "/erase"):
        method = "PUT" if suffix == "/legal-hold" else "POST"
        response = await _call(
            client, method, url(person.id, suffix), {"reason": reason}, admin.headers
        )
        assert_problem(response, 422)
        missing = await _call(client, method, url(person.id, suffix), {}, admin.headers)
        assert_problem(missing, 422)


@pytest.mark.parametrize("settings_overrides", [{"retention_years": {"contract": 1, "payslip": 1}}])
async def test_a_legal_hold_refuses_every_deletion(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
    backend: str,
) -> None:
    person = await former_employee(client, admin, accounts)
    [gone_early, kept] = list(person.documents)
    deleted = await client.delete(f"{DOCS}/{gone_early}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text

    held = await client.put(
        url(person.id, "/legal-hold"), json={"reason": HOLD}, headers=admin.headers
    )
    assert held.status_code == 200, held.text
    hold = held.json()["legal_hold"]
    assert hold["reason"] == HOLD
    assert hold["by"] == str(admin.id)
    assert hold["since"]
    shown = (await client.get(url(person.id), headers=admin.headers)).json()
    assert shown["legal_hold"]["reason"] == HOLD
    assert shown["erased_at"] is None
    assert shown["erasure_requested_at"] is None
    # Changing the reason keeps the date it began.
    changed = await client.put(
        url(person.id, "/legal-hold"), json={"reason": "Widened claim"}, headers=admin.headers
    )
    assert changed.json()["legal_hold"]["since"] == hold["since"]

    erase = await client.post(url(person.id, "/erase"), json={"reason": "r"}, headers=admin.headers)
    assert_problem(erase, 409, "legal_hold")
    assert_problem(await client.delete(f"{DOCS}/{kept}", headers=admin.headers), 409, "legal_hold")
    # Neither the purge of deleted documents nor RETENTION_YEARS touches them.
    report = await purge(runtime.sessionmaker, runtime.storages, retention_days=0)
    assert report.documents == 0
    await execute(runtime, "UPDATE documents SET created_at = '2001-01-01 00:00:00'")
    await daily_purge(runtime)
    assert await row_counts(runtime) == (2, 3)
    assert len((await stored_keys(runtime, person.id))["local"]) == 3

    cleared = await client.delete(url(person.id, "/legal-hold"), headers=admin.headers)
    assert cleared.status_code == 200
    assert cleared.json()["legal_hold"] is None
    assert "legal_hold" not in (await client.get(url(person.id), headers=admin.headers)).json()
    again = await client.delete(url(person.id, "/legal-hold"), headers=admin.headers)
    assert again.status_code == 200
    actions = [e.action for e in await events(runtime) if e.target_id == person.id]
    assert actions.count("employee.legal_hold.set") == 2
    assert actions.count("employee.legal_hold.clear") == 1
    erased = await client.post(
        url(person.id, "/erase"), json={"reason": "r"}, headers=admin.headers
    )
    assert erased.status_code == 200, erased.text
    late = await client.put(
        url(person.id, "/legal-hold"), json={"reason": HOLD}, headers=admin.headers
    )
    assert_problem(late, 409, "erasure_begun")
    assert (await verify(runtime)).ok


async def test_only_former_employees_are_erased(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    body = {
        "employee_number": "A-1",
        "first_name": "Still",
        "last_name": "Here",
        "email": "still@example.com",
        "hire_date": "2021-01-01",
    }
    created = await client.post("/api/v1/employees", json=body, headers=admin.headers)
    employee_id = created.json()["id"]
    refused = await client.post(
        url(employee_id, "/erase"), json={"reason": "r"}, headers=admin.headers
    )
    assert_problem(refused, 409, "not_terminated")
    # A current employee may be held too.
    held = await client.put(
        url(employee_id, "/legal-hold"), json={"reason": HOLD}, headers=admin.headers
    )
    assert held.status_code == 200, held.text


@pytest.mark.parametrize("backend", ["postgres"])  # one database is enough for a command
async def test_keys_shred_deletes_the_files_and_refuses_a_hold(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
    settings: Settings,
    tmp_path: Path,
) -> None:
    person = await former_employee(client, admin, accounts)
    env = clean_env(**command_env(settings, tmp_path / "var"))
    await client.put(url(person.id, "/legal-hold"), json={"reason": HOLD}, headers=admin.headers)
    refused = shre(tmp_path, "keys", "shred", person.id, "--yes", env=env)
    assert refused.returncode == 1
    assert "legal hold" in refused.stderr
    assert len(files_under(Path(settings.upload_dir))) == 3

    await client.delete(url(person.id, "/legal-hold"), headers=admin.headers)
    done = shre(tmp_path, "keys", "shred", person.id, "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert "2 documents (3 files) deleted" in done.stdout
    assert files_under(Path(settings.upload_dir)) == []
    assert await row_counts(runtime) == (0, 0)
    # Shredding is not erasing: the directory fields stay, the sensitive ones are gone.
    shown = (await client.get(url(person.id), headers=admin.headers)).json()
    assert shown["first_name"] == person.values["first_name"]
    assert shown["salary"] is None
    assert "erased_at" not in shown  # no hold, no erasure: the record as it always was
    assert (await verify(runtime)).ok


@pytest.mark.parametrize("backend", ["postgres"])  # the daily job's database
@pytest.mark.parametrize(
    "settings_overrides", [{"retention_years": {"payslip": 10}, "employee_retention_years": 3}]
)
async def test_the_daily_job_applies_retention(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
    settings: Settings,
    tmp_path: Path,
) -> None:
    expired = await former_employee(client, admin, accounts, n=1)
    held = await former_employee(client, admin, accounts, n=2)
    recent = await former_employee(client, admin, accounts, n=3)
    company = await uploaded(client, admin.headers, b"Payslip policy", category="payslip")
    for person in (expired, held):
        await execute(
            runtime,
            "UPDATE employees SET termination_date = '2022-03-01' WHERE id = :id",
            id=uuid.UUID(person.id).hex,  # SQLite keeps UUIDs as hex
        )
    await client.put(url(held.id, "/legal-hold"), json={"reason": HOLD}, headers=admin.headers)
    # Payslips uploaded eleven years ago: past RETENTION_YEARS payslip=10.
    await execute(
        runtime,
        "UPDATE documents SET created_at = '2015-01-01 00:00:00' WHERE category = 'payslip'",
    )
    # The dry run counts what the run would remove, and removes nothing.
    listed_before = await client.get(DOCS, params={"page_size": 100}, headers=admin.headers)
    env = clean_env(
        **command_env(
            settings, tmp_path / "var", RETENTION_YEARS="payslip=10", EMPLOYEE_RETENTION_YEARS="3"
        )
    )
    dry = shre(tmp_path, "documents", "purge", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "3 payslip documents were uploaded more than 10 years ago" in dry.stdout
    assert "1 former employees left more than 3 years ago" in dry.stdout
    listed_after = await client.get(DOCS, params={"page_size": 100}, headers=admin.headers)
    assert listed_after.json() == listed_before.json()
    await daily_purge(runtime)

    def state(person_id: str) -> Any:
        return client.get(url(person_id), headers=admin.headers)

    assert (await state(expired.id)).json()["erased_at"] is not None
    assert (await state(held.id)).json()["erased_at"] is None
    assert "erased_at" not in (await state(recent.id)).json()
    listed = await client.get(DOCS, params={"page_size": 100}, headers=admin.headers)
    left = {(d["employee_id"], d["category"]) for d in listed.json()["items"]}
    # The recent leaver's payslip went by its category; the held one's stayed.
    assert left == {(held.id, "contract"), (held.id, "payslip"), (recent.id, "contract")}
    assert company["id"] not in {d["id"] for d in listed.json()["items"]}
    assert (await stored_keys(runtime, expired.id))["local"] == []
    assert len((await stored_keys(runtime, recent.id))["local"]) == 2
    purged = [e for e in await events(runtime) if e.action == "document.retention_purge"]
    assert purged
    assert all(e.fields == ["payslip"] for e in purged)
    assert sum(len(e.target_ids) for e in purged) == 3  # two leavers', the company's
    erased = [e for e in await events(runtime) if e.action == "employee.erase"]
    assert [(e.target_id, e.actor_role) for e in erased] == [(expired.id, "system")]
    assert (await verify(runtime)).ok
