"""Master-key operations over employee data keys: status, rotation, crypto-shredding.

Rotation re-wraps each employee's data key under the primary master key and recomputes
the SSN blind index; field values are not touched (they are sealed under the data key,
which does not change). It works in batches, each its own transaction, and only picks
rows not yet on the primary key, so it can be interrupted and re-run at any time while
the app keeps serving (both keys decrypt meanwhile).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.crypto import FieldContext, normalise_national_id, rewrap_data_key, wrapping_key_id
from shre.employees.models import Employee
from shre.employees.vault import SEALED_COLUMNS, TABLE, EmployeeVault
from shre.kit.errors import NotFound

log = structlog.get_logger("shre.keys")


@dataclass(frozen=True, slots=True)
class KeyStatus:
    primary: str
    by_key: dict[str, int]
    destroyed: int

    @property
    def pending(self) -> int:
        return sum(n for key, n in self.by_key.items() if key != self.primary)


async def key_status(session: AsyncSession, vault: EmployeeVault) -> KeyStatus:
    rows = (
        await session.execute(
            select(Employee.dek_key_id, func.count()).group_by(Employee.dek_key_id)
        )
    ).all()
    counts = {key: int(n) for key, n in rows if key is not None}
    destroyed = sum(int(n) for key, n in rows if key is None)
    return KeyStatus(vault.keyring.primary.hex_id, counts, destroyed)


async def rotate(
    sessionmaker: async_sessionmaker[AsyncSession],
    vault: EmployeeVault,
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Re-wrap every data key not yet under the primary master key; returns how many."""
    primary = vault.keyring.primary.hex_id
    done = 0
    skipped: set[uuid.UUID] = set()
    while True:
        async with sessionmaker() as session, session.begin():
            stmt = (
                select(Employee.id, Employee.dek_wrapped, Employee.ssn_enc)
                .where(Employee.dek_wrapped.is_not(None))
                .where(or_(Employee.dek_key_id.is_(None), Employee.dek_key_id != primary))
                .order_by(Employee.id)
                .limit(batch_size + len(skipped))
            )
            rows = [r for r in (await session.execute(stmt)).all() if r.id not in skipped]
            if not rows:
                return done
            for row in rows[:batch_size]:
                wrapped = rewrap_data_key(vault.keyring, row.dek_wrapped, row.id)
                values: dict[str, object] = {
                    "dek_wrapped": wrapped,
                    "dek_key_id": wrapping_key_id(wrapped),
                }
                if row.ssn_enc is not None:
                    box = vault.box_for(row.id, wrapped)
                    ssn = box.decrypt(
                        row.ssn_enc, FieldContext(TABLE, SEALED_COLUMNS["ssn"], row.id)
                    )
                    values["ssn_index"] = vault.ssn_index.index(normalise_national_id(ssn))
                # Compare-and-swap: a row changed meanwhile is left for the next pass.
                result = await session.execute(
                    update(Employee)
                    .where(Employee.id == row.id, Employee.dek_wrapped == row.dek_wrapped)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    done += 1
                else:
                    skipped.add(row.id)
            if progress is not None:
                progress(done)
        log.info("keys.rotate_batch", rotated=done, primary=primary)


async def shred(session: AsyncSession, employee_id: uuid.UUID) -> None:
    """Destroy an employee's data key: their sensitive values become unrecoverable
    (ciphertext without a key), and the SSN blind index is removed too."""
    employee = await session.get(Employee, employee_id)
    if employee is None:
        raise NotFound("No such employee", code="employee_not_found")
    employee.dek_wrapped = None
    employee.dek_key_id = None
    employee.ssn_index = None
    await session.flush()
    log.info("keys.shred", employee_id=str(employee_id))
