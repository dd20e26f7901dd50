"""Small SQL helpers shared by repositories."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

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
