"""Sign-in, token refresh and rotation, logout, and resolving a bearer token to a Principal."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.api.runtime import Authenticate
from shre.audit.trail import AuditTrail
from shre.auth.cache import ACCOUNT_KEY, USER_ROWS, ended
from shre.auth.cache import account as account_namespace
from shre.auth.throttle import Throttler
from shre.auth.tokens import InvalidToken, TokenCodec, hash_refresh_token, new_refresh_token
from shre.cache import CacheLayer
from shre.db import utcnow
from shre.kit.errors import TooManyRequests, Unauthorized
from shre.observability.prometheus import LOGIN_FAILURES
from shre.policy import Principal
from shre.users.models import RefreshToken, User
from shre.users.passwords import PasswordHasher
from shre.users.repository import UserRepository
from shre.users.sessions import RefreshTokenRepository

log = structlog.get_logger("shre.auth")
BAD_CREDENTIALS = "Invalid email or password"


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int  # the refresh token's remaining life (the cookie's Max-Age)


@dataclass(frozen=True, slots=True)
class Authenticator:
    """The long-lived parts of authentication, built once per app from settings."""

    hasher: PasswordHasher
    codec: TokenCodec
    throttler: Throttler
    refresh_ttl: timedelta
    # A sign-in session's absolute lifetime: no refresh token outlives its start by more.
    session_max: timedelta

    def bind(
        self, cache: CacheLayer, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> Authenticate:
        """`authenticate` with this authenticator, cache and sessions: what every request
        calls with its bearer token (`Runtime.authenticate`)."""

        async def authenticated(access_token: str, prefetch: Sequence[str] = ()) -> Account:
            return await authenticate(self, cache, sessionmaker, access_token, prefetch)

        return authenticated


# Sessions ended this much longer ago than an access token lives are still listed: a
# refresh racing the logout may issue a token just after the revocation's timestamp.
REVOCATION_SLACK = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Account:
    """A user's row as cached (no password hash) with the sessions ended lately, and what
    every request checks of them worked out once per process and cached version."""

    row: dict[str, Any]
    principal: Principal
    is_active: bool
    token_epoch: int
    ended_sessions: frozenset[uuid.UUID]

    @classmethod
    def of(cls, value: dict[str, Any] | None) -> Account | None:
        if value is None:
            return None
        user = USER_ROWS.load(value["user"])
        return cls(
            row=value["user"],
            principal=Principal.of(user),
            is_active=bool(user.is_active),
            token_epoch=user.token_epoch,
            ended_sessions=frozenset(uuid.UUID(s) for s in value["ended"]),
        )

    def user(self) -> User:
        """The row as a (detached) User of the caller's own."""
        return USER_ROWS.load(self.row)


async def load_account(
    auth: Authenticator, sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID
) -> dict[str, Any] | None:
    """The account as cached: the row, and the sessions revoked while a token issued to
    them could still be live."""
    async with sessionmaker() as session:
        user = await UserRepository(session).get(user_id)
        if user is None:
            return None
        sessions: list[uuid.UUID] = []
        if user.is_active:  # an inactive account is refused before its sessions matter
            since = utcnow() - auth.codec.access_ttl - REVOCATION_SLACK
            sessions = await RefreshTokenRepository(session).revoked_families(user.id, since)
        return {"user": USER_ROWS.dump(user), "ended": sorted(str(s) for s in sessions)}


async def authenticate(
    auth: Authenticator,
    cache: CacheLayer,
    sessionmaker: async_sessionmaker[AsyncSession],
    access_token: str,
    prefetch: Sequence[str] = (),
) -> Account:
    """The active account a bearer access token belongs to (401 otherwise). The account
    comes from the cache, else from a short session of its own. `prefetch`: the cache
    namespaces the request reads next (their versions come in the same round trip)."""
    try:
        claims = auth.codec.decode_access(access_token)
    except InvalidToken as exc:
        raise Unauthorized(f"Invalid access token: {exc}", code="invalid_token") from None

    async def load() -> dict[str, Any] | None:
        return await load_account(auth, sessionmaker, claims.user_id)

    account: Account | None = await cache.get_or_load(
        account_namespace(claims.user_id), ACCOUNT_KEY, load, prepare=Account.of, prefetch=prefetch
    )
    if account is None or not account.is_active:
        raise Unauthorized("Account is not active", code="inactive_account")
    # A password change or deactivation since the token was issued (also after a
    # reactivation), or the token's session signed out or revoked.
    if claims.epoch != account.token_epoch or claims.session_id in account.ended_sessions:
        raise Unauthorized("Access token revoked", code="token_revoked")
    return account


class AuthService:
    def __init__(self, session: AsyncSession, auth: Authenticator, audit: AuditTrail) -> None:
        self.session = session
        self.auth = auth
        self.audit = audit
        self.users = UserRepository(session)
        self.tokens = RefreshTokenRepository(session)

    async def login(self, email: str, password: str, address: str) -> TokenPair:
        throttler = self.auth.throttler
        wait = await throttler.retry_after(self.session, email, address)
        user = await self.users.get_by_email(email)
        if wait is not None:
            log.warning("auth.login_throttled", client_ip=address)
            await self._record_attempt("auth.login_throttled", user, outcome="denied")
            throttled = TooManyRequests(
                "Too many failed sign-in attempts; try again later",
                retry_after=wait,
                code="login_throttled",
            )
            throttled.keep_changes = True  # the audit event must persist with the 429
            raise throttled
        if user is None:
            await self.auth.hasher.verify_dummy(password)
            ok = False
        else:
            ok = await self.auth.hasher.verify(user.password_hash, password) and user.is_active
        if user is None or not ok:
            await throttler.record_failure(self.session, email, address)
            log.info("auth.login_failed", user_id=str(user.id) if user else None, client_ip=address)
            LOGIN_FAILURES.inc()
            await self._record_attempt("auth.login_failed", user, outcome="failure")
            raise Unauthorized(BAD_CREDENTIALS, code="invalid_credentials", keep_changes=True)

        await throttler.clear_account(self.session, email, address)
        now = utcnow()
        if self.auth.hasher.needs_rehash(user.password_hash):
            user.password_hash = await self.auth.hasher.hash(password)
            log.info("auth.password_rehashed", user_id=str(user.id))
        user.last_login_at = now
        pair = await self._issue(user, family_id=uuid.uuid4(), started=now, now=now)
        log.info("auth.login", user_id=str(user.id), client_ip=address)
        await self.audit.record(
            "auth.login",
            target_type="user",
            target_id=user.id,
            actor_id=user.id,
            actor_role=user.role,
        )
        return pair

    async def _record_attempt(self, action: str, user: User | None, *, outcome: str) -> None:
        """A refused sign-in: nobody is signed in; the account is the target when it
        exists. The email typed is not recorded (people type passwords into it)."""
        await self.audit.record(
            action,
            target_type="user" if user else None,
            target_id=user.id if user else None,
            outcome=outcome,
            actor_id=None,
            actor_role=None,
        )

    async def refresh(self, refresh_token: str) -> TokenPair:
        now = utcnow()
        row = await self.tokens.by_hash(hash_refresh_token(refresh_token))
        if row is None:
            raise Unauthorized("Invalid refresh token", code="invalid_refresh_token")
        if row.used_at is not None:
            await self._revoke_reused_family(row, now)
        if row.revoked_at is not None or await self.tokens.family_revoked(row.family_id):
            raise Unauthorized("Refresh token revoked", code="refresh_token_revoked")
        if row.family_started_at + self.auth.session_max <= now:
            raise Unauthorized(
                "The session has reached its maximum lifetime; sign in again",
                code="session_expired",
            )
        if row.expires_at <= now:
            raise Unauthorized("Refresh token expired", code="refresh_token_expired")
        user = await self.users.get(row.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("Account is not active", code="inactive_account")
        if row.token_epoch != user.token_epoch:
            # Issued before a password change or deactivation that its revocation missed.
            raise Unauthorized("Refresh token revoked", code="refresh_token_revoked")
        if not await self.tokens.spend(row.id, now):
            # A concurrent request spent it first: the same token was used twice.
            await self._revoke_reused_family(row, now)
        return await self._issue(
            user, family_id=row.family_id, started=row.family_started_at, now=now
        )

    async def logout(self, refresh_token: str) -> None:
        row = await self.tokens.by_hash(hash_refresh_token(refresh_token))
        if row is not None:
            await self.tokens.revoke_family(row.family_id, utcnow())
            ended(self.session, row.user_id)
            log.info("auth.logout", user_id=str(row.user_id))
            user = await self.users.get(row.user_id)
            await self.audit.record(
                "auth.logout",
                target_type="user",
                target_id=row.user_id,
                actor_id=row.user_id,
                actor_role=user.role if user else None,
            )

    async def _revoke_reused_family(self, row: RefreshToken, now: datetime) -> None:
        await self.tokens.revoke_family(row.family_id, now)
        ended(self.session, row.user_id)
        log.warning("auth.refresh_token_reused", user_id=str(row.user_id))
        # Whoever presented it may have stolen it: no actor, the account is the target.
        await self.audit.record(
            "auth.refresh_reuse",
            target_type="user",
            target_id=row.user_id,
            outcome="denied",
            actor_id=None,
            actor_role=None,
        )
        raise Unauthorized(
            "Refresh token already used; the session has been revoked",
            code="refresh_token_reused",
            keep_changes=True,
        )

    async def _issue(
        self, user: User, *, family_id: uuid.UUID, started: datetime, now: datetime
    ) -> TokenPair:
        """The next pair of a session (family) that began at `started`: its refresh token
        expires with the session at the latest."""
        refresh = new_refresh_token()
        expires_at = min(now + self.auth.refresh_ttl, started + self.auth.session_max)
        await self.tokens.add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(refresh),
                created_at=now,
                expires_at=expires_at,
                family_started_at=started,
                token_epoch=user.token_epoch,
            )
        )
        codec = self.auth.codec
        return TokenPair(
            access_token=codec.issue_access(
                user.id, now, session_id=family_id, epoch=user.token_epoch
            ),
            refresh_token=refresh,
            expires_in=int(codec.access_ttl.total_seconds()),
            refresh_expires_in=int((expires_at - now).total_seconds()),
        )
