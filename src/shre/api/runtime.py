"""What the app (or a command) builds once at start-up, every request reaches through
dependencies, and `aclose()` shuts down.

The runtime holds the backends (database, cache, storage, the audit chain) and, by
their type, the long-lived parts of the domains (the employee vault, the
authenticator): this layer knows no domain, so the assembly (`shre.app.build_runtime`)
puts them in and each domain takes its own out (`runtime.part(EmployeeVault)`)."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shre.audit.chain import AuditChain
from shre.cache import CacheLayer
from shre.cache.sync import CacheSync
from shre.crypto import Keyring
from shre.kit.http import ETags
from shre.notify import Notifier
from shre.policy import Principal
from shre.queue import JobQueue
from shre.settings import Settings
from shre.storage import Storage, StorageSet

T = TypeVar("T")


class Caller(Protocol):
    """Whom a valid bearer token belongs to, as the authenticator found them."""

    @property
    def principal(self) -> Principal: ...


class Authenticate(Protocol):
    """The caller a bearer access token belongs to (401 otherwise); `prefetch`: the
    cache namespaces the request reads next."""

    def __call__(self, access_token: str, prefetch: Sequence[str] = ()) -> Awaitable[Caller]: ...


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    authenticate: Authenticate
    keyring: Keyring
    audit: AuditChain
    storage: Storage
    # Document versions name their backend: the configured one, and the other opened on
    # demand (for files `shre storage migrate` has not moved yet).
    storages: StorageSet
    cache: CacheLayer
    etags: ETags
    # The background jobs' queue (opened on first use).
    queue: JobQueue
    # Messages to people (e-mail when SMTP_HOST is set).
    notifier: Notifier
    # The domains' long-lived parts, by their type (see `part`).
    parts: Mapping[type[Any], object] = field(default_factory=dict)
    # Serving processes only: keeps the cache in step with commands and other processes.
    sync: CacheSync | None = None

    def part(self, kind: type[T]) -> T:
        """The domain part of type `kind` the assembly made (`EmployeeVault`,
        `Authenticator`, ...)."""
        try:
            return cast(T, self.parts[kind])
        except KeyError:
            raise LookupError(f"the runtime was built without a {kind.__name__}") from None

    async def aclose(self) -> None:
        """Stop and close every backend, in the order they depend on each other."""
        if self.sync is not None:
            await self.sync.stop()
        await self.queue.aclose()
        await self.storages.aclose()
        await self.storage.aclose()
        await self.cache.close()
        await self.audit.aclose()
        await self.engine.dispose()
