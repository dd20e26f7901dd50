"""Master-key rotation, key status and crypto-shredding over real employee rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shre.api.runtime import Runtime
from shre.app import build_runtime, create_app
from shre.crypto import UnknownKeyId
from shre.employees.keys import key_status, rotate, shred
from shre.employees.models import Employee
from shre.employees.vault import EmployeeVault
from shre.settings import Settings
from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.crypto import new_key, with_keys
from tests.support.employees import EMPLOYEES, SENSITIVE, create, employee_body

REVEAL = {"fields": "ssn,bank_account"}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = build_runtime(settings)
    try:
        yield runtime
    finally:
        await runtime.engine.dispose()


@asynccontextmanager
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def ciphertexts(runtime: Runtime) -> dict[Any, tuple[Any, ...]]:
    async with runtime.sessionmaker() as session:
        rows = (await session.execute(select(Employee))).scalars().all()
        return {
            e.id: (e.salary_enc, e.ssn_enc, e.bank_account_enc, e.dek_key_id, e.ssn_index)
            for e in rows
        }


async def seed(client: httpx.AsyncClient, admin: Account, count: int) -> list[dict[str, Any]]:
    return [
        await create(
            client,
            admin,
            employee_body(f"E{i}", f"e{i}@example.com", **{**SENSITIVE, "ssn": f"100-00-{i:04}"}),
        )
        for i in range(count)
    ]


async def test_rotation_rewraps_keys_without_touching_values(
    client: httpx.AsyncClient, admin: Account, settings: Settings, tmp_path: Path
) -> None:
    people = await seed(client, admin, 5)
    old_key = settings.encryption_key.get_secret_value()  # type: ignore[union-attr]
    fresh = new_key()
    both = with_keys(settings, tmp_path / "both", fresh, old_key)

    async with running(both) as runtime:
        before = await ciphertexts(runtime)
        async with runtime.sessionmaker() as session:
            status = await key_status(session, runtime.part(EmployeeVault))
        assert status.pending == 5
        assert status.primary not in status.by_key
        # Mid-rotation the app reads everything and finds SSNs under either key.
        async with api(both) as new_client:
            got = await new_client.get(
                f"{EMPLOYEES}/{people[0]['id']}", params=REVEAL, headers=admin.headers
            )
            assert got.json()["ssn"] == "100-00-0000"
            found = await new_client.get(
                EMPLOYEES, params={"ssn": "100000003"}, headers=admin.headers
            )
            assert [e["id"] for e in found.json()["items"]] == [people[3]["id"]]

        assert await rotate(runtime.sessionmaker, runtime.part(EmployeeVault), batch_size=2) == 5
        after = await ciphertexts(runtime)
        async with runtime.sessionmaker() as session:
            status = await key_status(session, runtime.part(EmployeeVault))
        assert status.pending == 0
        assert status.by_key == {runtime.keyring.primary.hex_id: 5}
    for person_id, (salary, ssn, bank, key_id, index) in after.items():
        old = before[person_id]
        assert (salary, ssn, bank) == old[:3]  # field values were not re-encrypted
        assert key_id != old[3]
        assert index != old[4]
        assert index.startswith(key_id)

    # The old key can go now: everything still reads and SSN search still works.
    only_new = with_keys(settings, tmp_path / "new", fresh)
    async with api(only_new) as new_client:
        for i, person in enumerate(people):
            got = (
                await new_client.get(
                    f"{EMPLOYEES}/{person['id']}", params=REVEAL, headers=admin.headers
                )
            ).json()
            assert got["ssn"] == f"100-00-{i:04}"
            assert got["salary"] == SENSITIVE["salary"]
        found = await new_client.get(
            EMPLOYEES, params={"ssn": "100-00-0004"}, headers=admin.headers
        )
        assert [e["id"] for e in found.json()["items"]] == [people[4]["id"]]


async def test_without_the_old_key_reads_fail_loudly(
    client: httpx.AsyncClient, admin: Account, settings: Settings, tmp_path: Path
) -> None:
    (person,) = await seed(client, admin, 1)
    stranger = with_keys(settings, tmp_path / "other", new_key())
    async with running(stranger) as runtime, runtime.sessionmaker() as session:
        employee = await session.get(Employee, uuid.UUID(person["id"]))
        assert employee is not None
        with pytest.raises(UnknownKeyId):
            runtime.part(EmployeeVault).box(employee)
    async with api(stranger) as other_client:
        response = await other_client.get(f"{EMPLOYEES}/{person['id']}", headers=admin.headers)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert SENSITIVE["bank_account"] not in response.text


async def test_interrupted_rotation_resumes(
    client: httpx.AsyncClient, admin: Account, settings: Settings, tmp_path: Path
) -> None:
    await seed(client, admin, 6)
    old_key = settings.encryption_key.get_secret_value()  # type: ignore[union-attr]
    both = with_keys(settings, tmp_path / "both", new_key(), old_key)

    class Interrupted(Exception):
        pass

    def stop_after_first_batch(done: int) -> None:
        raise Interrupted

    async with running(both) as runtime:
        with pytest.raises(Interrupted):
            await rotate(
                runtime.sessionmaker,
                runtime.part(EmployeeVault),
                batch_size=2,
                progress=stop_after_first_batch,
            )
        async with runtime.sessionmaker() as session:
            # The interrupted batch rolled back as a whole; nothing is half-done.
            assert (await key_status(session, runtime.part(EmployeeVault))).pending in {4, 6}
        assert await rotate(runtime.sessionmaker, runtime.part(EmployeeVault), batch_size=2) >= 4
        async with runtime.sessionmaker() as session:
            assert (await key_status(session, runtime.part(EmployeeVault))).pending == 0


async def test_shredding_makes_sensitive_values_unrecoverable(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    person, other = await seed(client, admin, 2)
    async with runtime.sessionmaker() as session:
        await shred(session, uuid.UUID(person["id"]))
        await session.commit()
    got = (
        await client.get(f"{EMPLOYEES}/{person['id']}", params=REVEAL, headers=admin.headers)
    ).json()
    for name in ("salary", "ssn", "bank_account", "date_of_birth", "home_address"):
        assert got[name] is None, name
    assert got["email"] == person["email"]  # directory fields stay
    assert got["last_name"] == person["last_name"]
    found = await client.get(EMPLOYEES, params={"ssn": "100-00-0000"}, headers=admin.headers)
    assert found.json()["total"] == 0
    history = await client.get(f"{EMPLOYEES}/{person['id']}/history", headers=admin.headers)
    assert history.status_code == 200
    assert all(e["new_value"] is None for e in history.json() if e["field"] == "salary")
    # Others are untouched.
    kept = (
        await client.get(f"{EMPLOYEES}/{other['id']}", params=REVEAL, headers=admin.headers)
    ).json()
    assert kept["ssn"] == "100-00-0001"


async def test_a_change_that_needs_a_destroyed_key_is_410_and_reads_stay_null(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    """Finding 6: a sensitive value of a shredded employee cannot be sealed any more; the
    change is a 410 problem (as documents answer), not an unhandled KeyDestroyed (500)."""
    [person] = await seed(client, admin, 1)
    url = f"{EMPLOYEES}/{person['id']}"
    async with runtime.sessionmaker() as session:
        await shred(session, uuid.UUID(person["id"]))
        await session.commit()
    for change in ({"home_address": "2 Side St"}, {"salary": "1.00"}, {"ssn": "1", "phone": "5"}):
        problem = assert_problem(
            await client.patch(url, json=change, headers=admin.headers), 410, "key_destroyed"
        )
        assert "2 Side St" not in str(problem)
    unchanged = (await client.get(url, headers=admin.headers)).json()
    assert unchanged["phone"] == person.get("phone")
    assert unchanged["home_address"] is None  # still reads as null
    # What needs no key still works: clearing a value nobody can read, any other field.
    cleared = await client.patch(
        url, json={"home_address": None, "job_title": "Archivist"}, headers=admin.headers
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["home_address"], cleared.json()["job_title"]) == (None, "Archivist")
    async with runtime.sessionmaker() as session:
        row = await session.get(Employee, uuid.UUID(person["id"]))
        assert row is not None
        assert (row.home_address_enc, row.dek_wrapped) == (None, None)
        assert row.salary_enc is not None  # untouched ciphertext, unreadable without the key
