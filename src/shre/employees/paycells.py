"""Pay cells: the salaries of each group of current employees, sealed together.

Pay bands need every current salary. Opened one by one that is a data key unwrapped and
two values decrypted per person: two to three seconds for 100,000 people on every
request. A cell holds the salaries (currency and amount in hundredths, no one's id) of
the current, salaried employees of one department with one job title, hired in one
year, sealed as one value under a subkey of the primary master key and bound to the
cell. Reading bands opens one value per cell (a few hundred), never a person's key.

Cells are derived data, checked on every read rather than kept up by every write path:
the stamp of a group (how many people, the sum of their row versions, their latest
change) is computed from the employees table in one aggregate query, and a cell whose
stamp differs (or that is missing, or sealed under a master key no longer primary) is
rebuilt from the employees' own sealed values, in a transaction of its own. A change of
anyone's salary, currency, department, job title, hire date or status changes their row version, so
no stale cell is ever used.

Crypto-shredding: a cell holding a shredded employee's salary must not outlive their key,
so `shred` calls `forget_stale`, which drops every cell that no longer matches its group
(the employee's current one, and any they left since it was last built).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import orjson
import structlog
from sqlalchemy import and_, delete, extract, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from shre.crypto import FieldContext
from shre.crypto.derived import purpose_box
from shre.crypto.errors import CryptoError
from shre.employees.models import Employee, PayCell
from shre.employees.vault import SALARY_WITH_CURRENCY, EmployeeVault

log = structlog.get_logger("shre.employees.paycells")

PURPOSE = b"shre/pay-cells/v1"
# (department_id, job_title, year of hire): a group of current employees. The year splits
# a large group (a thousand associates of one department) so that one raise rebuilds
# a tenth of it, not all of it.
Group = tuple[uuid.UUID | None, str | None, int]
# Cells rebuilt per query (each a condition in one OR)
REBUILD_BATCH = 50


# A group's salaries: by currency, amounts in hundredths (salaries have two decimals at
# most), ascending. Integers sort and travel far faster than decimals.
Pay = dict[str, list[int]]
HUNDRED = Decimal(100)


def in_hundredths(amount: Decimal) -> int:
    return int((amount * HUNDRED).to_integral_value())


def cell_id(group: Group) -> str:
    """A group's cell: a hash of its department, job title (none: an empty marker) and
    year of hire."""
    department, title, year = group
    raw = f"{department or ''}\x1f{'' if title is None else 't:' + title}\x1f{year}".encode()
    return hashlib.sha256(raw).hexdigest()


def salaried() -> list[ColumnElement[bool]]:
    """Who the cells hold: current employees with a salary and a data key."""
    return [
        Employee.status != "terminated",
        Employee.salary_enc.is_not(None),
        Employee.salary_currency_enc.is_not(None),
        Employee.dek_wrapped.is_not(None),
    ]


def _stamp(count: int, versions: Any, latest: Any) -> str:
    when = latest.isoformat() if isinstance(latest, datetime) else str(latest)
    return f"{count}:{int(versions or 0)}:{when}"


def _in_group(group: Group) -> ColumnElement[bool]:
    department, title, year = group
    return and_(
        Employee.department_id.is_(None)
        if department is None
        else Employee.department_id == department,
        Employee.job_title.is_(None) if title is None else Employee.job_title == title,
        Employee.hire_date.between(date(year, 1, 1), date(year, 12, 31)),
    )


async def group_stamps(session: AsyncSession) -> dict[Group, str]:
    """Every group of current salaried employees, with its stamp (an index-only scan of
    `ix_employees_salaried` on PostgreSQL)."""
    year = extract("year", Employee.hire_date)
    stmt = (
        select(
            Employee.department_id,
            Employee.job_title,
            year,
            func.count(),
            func.sum(Employee.version),
            func.max(Employee.updated_at),
        )
        .where(*salaried())
        .group_by(Employee.department_id, Employee.job_title, year)
    )
    rows = (await session.execute(stmt)).all()
    return {(d, t, int(y)): _stamp(n, v, at) for d, t, y, n, v, at in rows}


class PayCells:
    """Reads current salaries by group, through the sealed cells."""

    def __init__(
        self,
        session: AsyncSession,
        vault: EmployeeVault,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.session = session
        self.vault = vault
        # Where rebuilt cells are written (a read-only request session cannot); None:
        # they are used for this answer and not kept.
        self.sessionmaker = sessionmaker
        self.box = purpose_box(vault.keyring, PURPOSE)

    async def salaries(self) -> dict[Group, Pay]:
        """The current salaries of every group (groups without any left out)."""
        stamps = await group_stamps(self.session)
        ids = {cell_id(g): g for g in stamps}
        stored = (
            await self.session.execute(
                select(PayCell.cell, PayCell.stamp, PayCell.sealed).where(
                    PayCell.cell.in_(list(ids))
                )
            )
        ).all()
        out: dict[Group, Pay] = {}
        for cell, stamp, sealed in stored:
            group = ids[cell]
            if stamp != stamps[group]:
                continue
            opened = self._open(cell, sealed)
            if opened is not None:
                out[group] = opened
        stale = [g for g in stamps if g not in out]
        if stale:
            out.update(await self._rebuild(stale))
        return out

    def _open(self, cell: str, sealed: str) -> Pay | None:
        try:
            raw = self.box.decrypt(sealed, FieldContext("pay_cells", "sealed", cell))
        except CryptoError:  # sealed under a master key no longer primary: rebuild it
            return None
        opened: Pay = orjson.loads(raw)
        return opened

    def _seal(self, cell: str, pay: Pay) -> str:
        payload = orjson.dumps(pay).decode()
        return self.box.encrypt(payload, FieldContext("pay_cells", "sealed", cell))

    async def _rebuild(self, groups: list[Group]) -> dict[Group, Pay]:
        """The groups' salaries opened from each employee's own values, and their cells
        sealed (and kept when there is somewhere to write them)."""
        built: dict[Group, Pay] = {g: {} for g in groups}
        seen: dict[Group, list[tuple[int, Any]]] = {g: [] for g in groups}
        for start in range(0, len(groups), REBUILD_BATCH):
            batch = groups[start : start + REBUILD_BATCH]
            stmt = select(
                Employee.id,
                Employee.department_id,
                Employee.job_title,
                Employee.hire_date,
                Employee.version,
                Employee.updated_at,
                Employee.salary_enc,
                Employee.salary_currency_enc,
                Employee.dek_wrapped,
            ).where(*salaried(), or_(*(_in_group(g) for g in batch)))
            for row in (await self.session.execute(stmt)).all():
                group = (row.department_id, row.job_title, row.hire_date.year)
                if group not in built:
                    continue
                # the row has every column `open` reads (id, key, the two values)
                opened = self.vault.open(cast(Employee, row), SALARY_WITH_CURRENCY)
                amounts = built[group].setdefault(opened["salary_currency"], [])
                amounts.append(in_hundredths(opened["salary"]))
                seen[group].append((row.version, row.updated_at))
        for pay in built.values():
            for amounts in pay.values():
                amounts.sort()
        cells = {
            cell_id(g): (
                _stamp(len(seen[g]), sum(v for v, _ in seen[g]), max((a for _, a in seen[g])))
                if seen[g]
                else "",
                self._seal(cell_id(g), built[g]),
            )
            for g in groups
        }
        await self._keep(cells)
        log.info("paycells.rebuilt", cells=len(groups), people=sum(map(len, seen.values())))
        return built

    async def _keep(self, cells: Mapping[str, tuple[str, str]]) -> None:
        if self.sessionmaker is None or not cells:
            return
        try:
            async with self.sessionmaker() as session, session.begin():
                await session.execute(delete(PayCell).where(PayCell.cell.in_(list(cells))))
                await session.execute(
                    insert(PayCell),
                    [
                        {"cell": c, "stamp": stamp, "sealed": sealed}
                        for c, (stamp, sealed) in cells.items()
                    ],
                )
        except IntegrityError:
            # Another request rebuilt the same cells at the same moment: theirs stay.
            log.info("paycells.kept_by_another", cells=len(cells))


async def forget_stale(session: AsyncSession) -> int:
    """Drop every cell that no longer matches its group, in `session`'s transaction
    (after a data key was destroyed, nothing of that person's salary may stay sealed
    under a key that still exists). Returns how many were dropped."""
    stamps = await group_stamps(session)
    current = {cell_id(g): s for g, s in stamps.items()}
    stored = (await session.execute(select(PayCell.cell, PayCell.stamp))).all()
    stale = [c for c, s in stored if current.get(c) != s]
    if stale:
        await session.execute(delete(PayCell).where(PayCell.cell.in_(stale)))
    return len(stale)
