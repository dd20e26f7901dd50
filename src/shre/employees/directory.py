"""The staff directory a phone keeps offline: GET /api/v1/directory.

The directory is everyone not terminated, with their directory fields (CONTRACT.md §4:
every role sees those of everyone) and nothing else. A phone copies it page by page,
then asks only for what changed since: `directory_changed_at` moves when a directory
field changes or someone joins or leaves the directory (a hire, a termination, a
re-hire), never for a change of anything else, so a sync tells no one when a salary,
a date or any other field they may not see changed. Who left is reported by id only
(`removed`), never why.

Paging is by keyset over (directory_changed_at, id): a change made during a sync moves
its row after the cursor, where the same sync meets it again; nothing is skipped. The
cursor is opaque to clients (base64 of the instant and the id). When a sync is
complete, its cursor goes back LATE_COMMIT before the last change it returned: a change
stamped a moment before another but committed after it (or stamped by a server whose
clock is a little behind) is still found by the next sync; rows sent twice are the same
rows, which the client simply stores again.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from shre.db import UTCDateTime
from shre.employees.models import Employee
from shre.employees.schemas import FIELD_ORDER
from shre.kit.errors import InvalidInput
from shre.policy import DIRECTORY_FIELDS

# The directory's fields, in the records' order
FIELDS: Final = tuple(f for f in FIELD_ORDER if f in DIRECTORY_FIELDS)
# The fields a change in one statement (no row read first) may hold that the directory
# shows: such a change moves directory_changed_at.
SHOWN: Final = DIRECTORY_FIELDS - {"id"}
# How far a complete sync's cursor goes back: longer than any write transaction, plus
# the clock difference between application servers.
LATE_COMMIT: Final = timedelta(minutes=5)
DEFAULT_LIMIT: Final = 500
MAX_LIMIT: Final = 1000
_NIL = uuid.UUID(int=0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a sync stands: after the change at `at` to the employee `after`. `started`:
    when the first sync this belongs to began (None once it is complete): until then,
    who left the directory long before is no change to report."""

    at: datetime
    after: uuid.UUID
    started: datetime | None = None

    def encode(self) -> str:
        started = "" if self.started is None else self.started.astimezone(UTC).isoformat()
        text = f"{self.at.astimezone(UTC).isoformat()}|{self.after}|{started}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        try:
            text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            at, after, started = text.split("|")
            return cls(_instant(at), uuid.UUID(after), _instant(started) if started else None)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            message = "not a cursor this API gave"
            raise InvalidInput(
                f"since: {message}",
                code="invalid_cursor",
                errors=[{"field": "since", "location": "query", "message": message}],
            ) from None


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("naive")
    return moment.astimezone(UTC)


def listing(employee: Employee) -> tuple[object, ...]:
    """What the directory shows of someone: their directory fields, or nothing once they
    are terminated. A write that changes it moves `directory_changed_at`."""
    if employee.status == "terminated":
        return ()
    return tuple(getattr(employee, f) for f in FIELDS)


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    items: list[dict[str, Any]]
    removed: list[uuid.UUID]
    cursor: str
    complete: bool
    remaining: int


async def directory_page(
    session: AsyncSession, since: Cursor | None, limit: int = DEFAULT_LIMIT
) -> DirectoryPage:
    """The next `limit` changes of the directory after `since` (None: the whole
    directory, from its oldest change)."""
    if since is None:
        since = Cursor(_EPOCH, _NIL, datetime.now(UTC))
    where = [_after(since)]
    if since.started is not None:  # a first sync: those who left long ago are not news
        recent = literal(since.started - LATE_COMMIT, UTCDateTime())
        where.append((Employee.status != "terminated") | (Employee.directory_changed_at >= recent))
    columns = [getattr(Employee, f) for f in FIELDS]
    stmt = (
        select(Employee.directory_changed_at, Employee.status, *columns)
        .where(*where)
        .order_by(Employee.directory_changed_at, Employee.id)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:  # nothing new: the same cursor again
        return DirectoryPage([], [], _finished(since).encode(), True, 0)
    # Ids as the database returns them: the response writes them as text (JSONBytes).
    items: list[dict[str, Any]] = []
    removed: list[uuid.UUID] = []
    for row in rows:
        if row.status == "terminated":
            removed.append(row.id)
        else:
            items.append({f: getattr(row, f) for f in FIELDS})
    last = Cursor(rows[-1].directory_changed_at, rows[-1].id, since.started)
    remaining = 0
    if len(rows) == limit:
        count = select(func.count()).select_from(Employee).where(_after(last), *where[1:])
        remaining = int((await session.execute(count)).scalar_one())
    if remaining == 0:
        last = _finished(last, rewind=True)
    return DirectoryPage(items, removed, last.encode(), remaining == 0, remaining)


def _finished(cursor: Cursor, *, rewind: bool = False) -> Cursor:
    """The cursor of a complete sync: incremental from now on; `rewind`: LATE_COMMIT
    before its last change (see the module's docstring)."""
    at = cursor.at - LATE_COMMIT if rewind else cursor.at
    return Cursor(max(at, _EPOCH), _NIL if rewind else cursor.after)


def _after(cursor: Cursor) -> ColumnElement[bool]:
    """The changes after the cursor's, in the keyset's order."""
    key = tuple_(Employee.directory_changed_at, Employee.id)
    return key > tuple_(literal(cursor.at, UTCDateTime()), literal(cursor.after))
