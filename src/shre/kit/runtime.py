"""What the app (or a command) builds once at start-up, every request reaches through
dependencies, and `aclose()` shuts down."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shre.audit.chain import AuditChain
from shre.auth.service import Authenticator
from shre.cache import CacheLayer
from shre.cache.sync import CacheSync
from shre.employees.vault import EmployeeVault
from shre.kit.http import ETags
from shre.settings import Settings
from shre.storage import Storage, StorageSet


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    auth: Authenticator
    vault: EmployeeVault
    audit: AuditChain
    storage: Storage
    # Document versions name their backend: the configured one, and the other opened on
    # demand (for files `shre storage migrate` has not moved yet).
    storages: StorageSet
    cache: CacheLayer
    etags: ETags
    # Serving processes only: keeps the cache in step with commands and other processes.
    sync: CacheSync | None = None

    async def aclose(self) -> None:
        """Stop and close every backend, in the order they depend on each other."""
        if self.sync is not None:
            await self.sync.stop()
        await self.storages.aclose()
        await self.storage.aclose()
        await self.cache.close()
        await self.audit.aclose()
        await self.engine.dispose()
