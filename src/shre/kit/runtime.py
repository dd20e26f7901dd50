"""What the app builds once at start-up and every request reaches through dependencies."""

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
from shre.storage import Storage


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    auth: Authenticator
    vault: EmployeeVault
    audit: AuditChain
    storage: Storage
    cache: CacheLayer
    etags: ETags
    # Serving processes only: keeps the cache in step with commands and other processes.
    sync: CacheSync | None = None
