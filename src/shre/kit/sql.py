"""Small SQL helpers shared by repositories."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

# SQLSTATE 55P03: a statement waited longer than `lock_timeout` for a lock.
LOCK_NOT_AVAILABLE = "55P03"
# SQLSTATE 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now.
SERVER_NOT_SERVING = frozenset({"57P01", "57P02", "57P03"})

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with the user's % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def is_unique_violation(exc: IntegrityError) -> bool:
    message = str(exc.orig).lower()
    return "unique" in message or "duplicate key" in message


def is_foreign_key_violation(exc: IntegrityError) -> bool:
    # PostgreSQL: "violates foreign key constraint"; SQLite: "FOREIGN KEY constraint failed".
    return "foreign key" in str(exc.orig).lower()


def is_unreachable(exc: DBAPIError) -> bool:
    """The database server cannot take the statement now, though nothing is wrong with
    it: its connection failed (SQLSTATE class 08), or the server is shutting down, starting
    up or was restarted under it (57P01-57P03: operator intervention)."""
    state = getattr(exc.orig, "sqlstate", None)
    return exc.connection_invalidated or (
        isinstance(state, str) and (state.startswith("08") or state in SERVER_NOT_SERVING)
    )


def is_lock_timeout(exc: DBAPIError) -> bool:
    """PostgreSQL gave up waiting for a lock (see `shre.db.lock_wait_settings`)."""
    return getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE
