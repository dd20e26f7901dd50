"""How signed-in accounts are cached: one namespace per user (`user:<id>`, within
ACCOUNTS for its TTL) holding the user's row without the password hash and the sessions
ended lately. Any ORM write to a user (sign-in time, role, deactivation, password)
invalidates it at commit, and so does a revoked session (`ended`): its access tokens
are then refused at once in every process."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shre.cache import Namespace, Watch, invalidate_on_commit
from shre.cache.rows import RowCodec
from shre.settings import Settings
from shre.users.models import User

ACCOUNTS = "user"
# The cached value's key: it holds the row and the ended sessions (a new key for a new
# shape, so a value cached by an older release is never read as this one).
ACCOUNT_KEY = "account+sessions"
USER_ROWS = RowCodec(User, leave_out=frozenset({"password_hash"}))


def account(user_id: uuid.UUID) -> str:
    """The namespace of one user's cached account."""
    return f"{ACCOUNTS}:{user_id}"


# Any ORM write to a user drops their cached account (attached by the app at start-up).
WATCHES = (Watch(User, lambda user: [account(user.id)]),)


def ended(session: AsyncSession, user_id: uuid.UUID) -> None:
    """A session of the user was revoked: their cached account (which lists the ended
    sessions) is invalidated at commit."""
    invalidate_on_commit(session, account(user_id))


def namespaces(settings: Settings) -> list[Namespace]:
    """Auth's namespaces, for the app to register at start-up."""
    return [Namespace(ACCOUNTS, settings.cache_ttl_users)]
