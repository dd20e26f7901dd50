"""Users and signed-in clients, made the way the app makes them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.policy import Role
from shre.users.passwords import PasswordHasher
from shre.users.schemas import UserCreate
from shre.users.service import UserService

PASSWORD = "correct horse battery staple"

# Hashes made for the accounts tests create: each password is hashed once per process and
# cost, not once per account (argon2id costs tens of milliseconds; a test makes several).
_HASHES: dict[tuple[str, int, int, int], str] = {}


class _HashedOnce(PasswordHasher):
    """The app's hasher, remembering the real argon2id hash of each password it made (so
    sign-in verifies each account's password in full, as ever)."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.__dict__.update(vars(hasher))

    async def hash(self, password: str) -> str:
        cost = self._hasher
        key = (password, cost.time_cost, cost.memory_cost, cost.parallelism)
        if key not in _HASHES:
            _HASHES[key] = await super().hash(password)
        return _HASHES[key]


@dataclass
class Account:
    id: uuid.UUID
    email: str
    password: str
    role: Role
    headers: dict[str, str]
    refresh_token: str


class Accounts:
    """Factory for users and signed-in clients."""

    def __init__(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.client = client

    async def create(self, role: Role, email: str | None = None, **extra: Any) -> uuid.UUID:
        email = email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
        async with self.runtime.sessionmaker() as session:
            audit = AuditTrail.system(session, self.runtime.sessionmaker)
            user = await UserService(
                session, _HashedOnce(self.runtime.part(PasswordHasher)), audit
            ).create(
                None,
                UserCreate(
                    email=email,
                    password=extra.pop("password", PASSWORD),
                    full_name=extra.pop("full_name", f"Test {role.value}"),
                    role=role,
                    **extra,
                ),
            )
            await session.commit()
            return user.id

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def signed_in(self, role: Role, email: str | None = None) -> Account:
        email = email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
        user_id = await self.create(role, email)
        tokens = await self.login(email)
        return Account(
            id=user_id,
            email=email,
            password=PASSWORD,
            role=role,
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            refresh_token=tokens["refresh_token"],
        )
