"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import functools
import unicodedata

import anyio.to_thread
from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shre.settings import Settings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


class PasswordHasher:
    """argon2id with the configured cost (never below m=19 MiB, t=2, p=1).

    Hashing takes tens of milliseconds of CPU; it runs in a worker thread (argon2 releases
    the GIL) so that it does not stall the other requests on the event loop.
    """

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = _argon2id(time_cost, memory_kib, parallelism)
        # Verified against when the account does not exist, so timing does not reveal it.
        self._dummy_hash = _dummy_hash(time_cost, memory_kib, parallelism)

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordHasher:
        return cls(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await anyio.to_thread.run_sync(self._verify, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        await self.verify(self._dummy_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


@functools.cache
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    """A hash of no one's password at this cost, made once per process (an app made again
    with the same cost, as tests do, does not pay tens of milliseconds for it again)."""
    return _argon2id(time_cost, memory_kib, parallelism).hash("shre-dummy-password-for-timing")


def _argon2id(time_cost: int, memory_kib: int, parallelism: int) -> _Argon2:
    return _Argon2(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def fold(text: str) -> str:
    """`text` as the password rule compares it: one spelling of each letter, whatever the
    case (ß and ss, İ and i), width (fullwidth letters), composition or accent (é and e), and
    without surrounding whitespace."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    # The Turkish dotless i (U+0131) has no decomposition: it is the i it is spelled for.
    return unicodedata.normalize("NFKC", bare.replace("\u0131", "i")).casefold().strip()


def password_problems(password: str, email: str) -> list[str]:
    """Why a password is refused (empty when it is acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"must be at most {MAX_PASSWORD_LENGTH} characters")
    folded = fold(password)
    address = fold(email)
    local = address.split("@", 1)[0]
    # The user name with and without a +tag (jane+hr@ is jane).
    names = {local, local.split("+", 1)[0]}
    if address and address in folded:
        problems.append("must not contain the email address")
    elif any(len(name) >= 3 and name in folded for name in names):
        problems.append("must not contain the email's user name")
    if password and len(set(password)) < 4:
        problems.append("must use more than three different characters")
    return problems
