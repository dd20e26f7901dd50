"""Passwords are stored as argon2id at no less than the agreed cost, and rehashed on login
when the configured cost changes."""

from __future__ import annotations

import dataclasses
import uuid

import argon2
import httpx
from fastapi import FastAPI

from shre.api.runtime import Runtime
from shre.auth.service import Authenticator
from shre.users.passwords import PasswordHasher
from tests.support.accounts import PASSWORD, Account, Accounts
from tests.support.auth import login, new_user, stored_user


def parameters(password_hash: str) -> argon2.Parameters:
    return argon2.extract_parameters(password_hash)


async def test_stored_hash_is_argon2id_at_the_minimum_cost_or_more(
    client: httpx.AsyncClient, runtime: Runtime, accounts: Accounts
) -> None:
    user = await new_user(accounts)
    stored = (await stored_user(runtime, user.id)).password_hash

    assert stored.startswith("$argon2id$")
    assert user.password not in stored
    params = parameters(stored)
    assert params.type is argon2.Type.ID
    assert params.memory_cost >= 19456
    assert params.time_cost >= 2
    assert params.parallelism >= 1
    assert argon2.PasswordHasher().verify(stored, user.password)

    # Logging in with unchanged parameters leaves the hash alone.
    assert (await login(client, user.email, user.password)).status_code == 200
    assert (await stored_user(runtime, user.id)).password_hash == stored


async def test_same_password_gets_a_different_salt(
    client: httpx.AsyncClient, runtime: Runtime, admin: Account
) -> None:
    made = []
    for n in range(2):
        response = await client.post(
            "/api/v1/users",
            headers=admin.headers,
            json={
                "email": f"same-password-{n}@example.com",
                "password": PASSWORD,
                "full_name": "Same Password",
                "role": "employee",
            },
        )
        assert response.status_code == 201, response.text
        made.append(uuid.UUID(response.json()["id"]))
    first_hash, second_hash = [(await stored_user(runtime, m)).password_hash for m in made]
    assert first_hash != second_hash
    assert argon2.PasswordHasher().verify(first_hash, PASSWORD)
    assert argon2.PasswordHasher().verify(second_hash, PASSWORD)


async def test_login_rehashes_when_the_cost_changes(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, accounts: Accounts
) -> None:
    user = await new_user(accounts)
    old = (await stored_user(runtime, user.id)).password_hash
    assert parameters(old).time_cost == runtime.settings.argon2_time_cost == 2

    stronger = PasswordHasher(
        time_cost=3,
        memory_kib=runtime.settings.argon2_memory_kib,
        parallelism=runtime.settings.argon2_parallelism,
    )
    auth = dataclasses.replace(runtime.part(Authenticator), hasher=stronger)
    app.state.runtime.parts = {**runtime.parts, Authenticator: auth}

    # A failed login must not rehash (it does not know the password).
    assert (await login(client, user.email, "not the password at all")).status_code == 401
    assert (await stored_user(runtime, user.id)).password_hash == old

    assert (await login(client, user.email, user.password)).status_code == 200
    new = (await stored_user(runtime, user.id)).password_hash
    assert new != old
    assert new.startswith("$argon2id$")
    assert parameters(new).time_cost == 3
    assert parameters(new).memory_cost == parameters(old).memory_cost
    assert argon2.PasswordHasher().verify(new, user.password)

    # The new hash is stable under the new cost, and the password still signs in.
    assert (await login(client, user.email, user.password)).status_code == 200
    assert (await stored_user(runtime, user.id)).password_hash == new
