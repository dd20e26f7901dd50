"""How database errors are told apart: one the client may retry shortly (the server is
restarting, the connection failed) from a bug."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from shre.kit.sql import is_lock_timeout, is_unreachable


class DriverError(Exception):
    """An error as SQLAlchemy's asyncpg adapter raises it: the SQLSTATE as `sqlstate`."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def raised(sqlstate: str | None, *, invalidated: bool = False) -> DBAPIError:
    return DBAPIError(
        "SELECT 1", None, DriverError("x", sqlstate), connection_invalidated=invalidated
    )


@pytest.mark.parametrize(
    ("sqlstate", "message"),
    [
        ("57P01", "terminating connection due to administrator command"),
        ("57P02", "terminating connection due to crash of another server process"),
        ("57P03", "the database system is shutting down / starting up"),
        ("08006", "connection failure"),
        ("08001", "unable to establish connection"),
    ],
)
def test_a_server_restarting_or_a_failed_connection_is_unreachable(
    sqlstate: str, message: str
) -> None:
    assert is_unreachable(raised(sqlstate)), message
    assert not is_lock_timeout(raised(sqlstate))


def test_a_connection_sqlalchemy_invalidated_is_unreachable() -> None:
    assert is_unreachable(raised(None, invalidated=True))


@pytest.mark.parametrize("sqlstate", [None, "23505", "42P01", "55P03", "40001"])
def test_other_errors_are_not(sqlstate: str | None) -> None:
    assert not is_unreachable(raised(sqlstate))
