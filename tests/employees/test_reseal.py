"""`shre keys encrypt-existing` / `import-legacy`: clear or crypto-js values left by an
import are sealed in place; anything that looks sealed but does not open is left alone."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import httpx
import pytest
from sqlalchemy import text

from shre.api.runtime import Runtime
from shre.employees.keys import reseal_plaintext
from shre.employees.vault import EmployeeVault
from tests.support.accounts import Account
from tests.support.employees import EMPLOYEES, create, employee_body

LEGACY_PASSPHRASE = "seed system passphrase"
REVEAL = {"fields": "ssn,bank_account"}


def cryptojs(plaintext: str) -> str:
    """What crypto-js AES.encrypt(text, passphrase) stores (OpenSSL's format)."""
    result = subprocess.run(
        [
            "openssl",
            "enc",
            "-aes-256-cbc",
            "-md",
            "md5",
            "-salt",
            "-a",
            "-A",
            "-pass",
            f"pass:{LEGACY_PASSPHRASE}",
        ],
        input=plaintext.encode(),
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()


def row_id(dialect: str, employee_id: str) -> str:
    # SQLAlchemy stores UUIDs as 32 hex characters on SQLite.
    return uuid.UUID(employee_id).hex if dialect == "sqlite" else employee_id


SSN_BY_NUMBER = text("SELECT employee_number, ssn_enc FROM employees")


async def put_raw(runtime: Runtime, employee_id: str, **columns: str | None) -> None:
    sets = ", ".join(f"{name} = :{name}" for name in columns)
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text(f"UPDATE employees SET {sets} WHERE id = :id"),  # noqa: S608 - test-owned names
            {
                **columns,
                "id": uuid.UUID(employee_id).hex if conn.dialect.name == "sqlite" else employee_id,
            },
        )


async def raw_dump(runtime: Runtime) -> str:
    async with runtime.engine.connect() as conn:
        return repr((await conn.execute(text("SELECT * FROM employees"))).all())


async def test_clear_values_are_encrypted_in_place(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    person = await create(client, admin, employee_body("E1", "e1@example.com"))
    imported = await create(client, admin, employee_body("E2", "e2@example.com"))
    await put_raw(
        runtime,
        person["id"],
        salary_enc="72000.10",
        ssn_enc="321-54-9876",
        home_address_enc="9 Clear Lane",
        date_of_birth_enc="1985-02-03",
    )
    # An imported row with no data key at all.
    await put_raw(runtime, imported["id"], bank_account_enc="NL91ABNA0417164300", dek_wrapped=None)
    assert "321-54-9876" in await raw_dump(runtime)

    report = await reseal_plaintext(runtime.sessionmaker, runtime.part(EmployeeVault), batch_size=1)
    assert report.encrypted == 5
    assert report.keys_issued == 1
    assert report.refused == []
    dump = await raw_dump(runtime)
    for value in ("72000.10", "321-54-9876", "9 Clear Lane", "1985-02-03", "NL91ABNA0417164300"):
        assert value not in dump

    got = (
        await client.get(f"{EMPLOYEES}/{person['id']}", params=REVEAL, headers=admin.headers)
    ).json()
    assert got["salary"] == "72000.10"
    assert got["ssn"] == "321-54-9876"
    assert got["date_of_birth"] == "1985-02-03"
    other = (
        await client.get(f"{EMPLOYEES}/{imported['id']}", params=REVEAL, headers=admin.headers)
    ).json()
    assert other["bank_account"] == "NL91ABNA0417164300"
    found = await client.get(EMPLOYEES, params={"ssn": "321549876"}, headers=admin.headers)
    assert [e["id"] for e in found.json()["items"]] == [person["id"]]

    again = await reseal_plaintext(runtime.sessionmaker, runtime.part(EmployeeVault))
    assert (again.encrypted, again.keys_issued) == (0, 0)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make fixtures")
async def test_legacy_values_are_imported_with_the_passphrase(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    person = await create(client, admin, employee_body("E1", "e1@example.com"))
    await put_raw(
        runtime, person["id"], salary_enc=cryptojs("91000.00"), ssn_enc=cryptojs("111-22-3333")
    )
    without = await reseal_plaintext(runtime.sessionmaker, runtime.part(EmployeeVault))
    assert without.imported_legacy == 0  # left for import-legacy

    wrong = await reseal_plaintext(
        runtime.sessionmaker, runtime.part(EmployeeVault), legacy_passphrase="not it"
    )
    assert wrong.imported_legacy == 0
    assert len(wrong.refused) == 2

    report = await reseal_plaintext(
        runtime.sessionmaker, runtime.part(EmployeeVault), legacy_passphrase=LEGACY_PASSPHRASE
    )
    assert report.imported_legacy == 2
    got = (
        await client.get(f"{EMPLOYEES}/{person['id']}", params=REVEAL, headers=admin.headers)
    ).json()
    assert got["salary"] == "91000.00"
    assert got["ssn"] == "111-22-3333"


async def test_a_sealed_value_that_does_not_open_is_never_overwritten(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    a = await create(client, admin, employee_body("E1", "a@example.com", ssn="1"))
    await create(client, admin, employee_body("E2", "b@example.com", ssn="2"))
    async with runtime.engine.connect() as conn:
        rows = dict(
            (await conn.execute(text("SELECT employee_number, ssn_enc FROM employees"))).all()
        )
    await put_raw(runtime, a["id"], ssn_enc=rows["E2"])  # another row's ciphertext
    report = await reseal_plaintext(runtime.sessionmaker, runtime.part(EmployeeVault))
    assert report.encrypted == 0
    async with runtime.engine.connect() as conn:
        after = dict(
            (await conn.execute(text("SELECT employee_number, ssn_enc FROM employees"))).all()
        )
    assert after["E1"] == rows["E2"]


async def test_a_wrong_passphrase_that_unpads_to_garbage_changes_nothing(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    # A crypto-js value (salary "85000.00") and a wrong passphrase under which CBC happens
    # to unpad to 15 bytes of garbage (found by search; see tests/crypto/test_legacy.py).
    sealed = "U2FsdGVkX1+IP3ACD1zGT9j8SYVvrUnHChTHbg6Nbhc="
    person = await create(client, admin, employee_body("E1", "e1@example.com"))
    await put_raw(runtime, person["id"], bank_account_enc=sealed)
    report = await reseal_plaintext(
        runtime.sessionmaker, runtime.part(EmployeeVault), legacy_passphrase="wrong-5408150"
    )
    assert report.imported_legacy == 0
    assert any("garbage" in line for line in report.refused)
    assert sealed in await raw_dump(runtime)  # the original is kept for a correct retry
