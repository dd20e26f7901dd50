"""Master-key operations over employee data keys: status, rotation, crypto-shredding.

Rotation re-wraps each employee's data key under the primary master key and recomputes
the SSN blind index; field values are not touched (they are sealed under the data key,
which does not change). It works in batches, each its own transaction, and only picks
rows not yet on the primary key, so it can be interrupted and re-run at any time while
the app keeps serving (both keys decrypt meanwhile).
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import structlog
from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.crypto import FieldContext, normalise_national_id, rewrap_data_key, wrapping_key_id
from shre.crypto.envelope import FIELD_MIN_LENGTH, VERSION_1
from shre.crypto.errors import CryptoError
from shre.crypto.legacy import decrypt_cryptojs, is_legacy_ciphertext
from shre.db import refresh_statistics
from shre.employees.models import Employee
from shre.employees.paycells import forget_stale
from shre.employees.vault import SEALED_COLUMNS, TABLE, EmployeeVault
from shre.kit.errors import NotFound

log = structlog.get_logger("shre.keys")
CURRENCY = re.compile(r"[A-Z]{3}")


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


async def count_clear_currencies(session: AsyncSession) -> int:
    """Salary currencies still in clear: a three-letter code, where a sealed value is a
    long ciphertext (left by the 0004 migration, or an import)."""
    stmt = select(func.count()).where(
        Employee.salary_currency_enc.is_not(None), func.length(Employee.salary_currency_enc) <= 3
    )
    return int((await session.execute(stmt)).scalar_one())


async def rotate(
    sessionmaker: async_sessionmaker[AsyncSession],
    vault: EmployeeVault,
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Re-wrap every data key not yet under the primary master key; returns how many."""
    primary = vault.keyring.primary.hex_id
    table = Employee.__table__
    assert isinstance(table, Table)  # noqa: S101 - a mapped class's table
    # Compare-and-swap per row: a key shredded or re-wrapped meanwhile is not overwritten
    # (and is picked up again by the next pass if it still needs it).
    swap = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.dek_wrapped == bindparam("b_old"))
        .values(
            dek_wrapped=bindparam("b_new"),
            dek_key_id=bindparam("b_key"),
            ssn_index=bindparam("b_index"),
        )
    )
    done = 0
    while True:
        async with sessionmaker() as session, session.begin():
            stmt = (
                select(Employee.id, Employee.dek_wrapped, Employee.ssn_enc)
                .where(Employee.dek_wrapped.is_not(None))
                .where(or_(Employee.dek_key_id.is_(None), Employee.dek_key_id != primary))
                .order_by(Employee.id)
                .limit(batch_size)
            )
            rows = (await session.execute(stmt)).all()
            if not rows:
                break
            params = []
            for row in rows:
                wrapped = rewrap_data_key(vault.keyring, row.dek_wrapped, row.id)
                index = None
                if row.ssn_enc is not None:
                    context = FieldContext(TABLE, SEALED_COLUMNS["ssn"], row.id)
                    ssn = vault.box_for(row.id, wrapped).decrypt(row.ssn_enc, context)
                    index = vault.ssn_index.index(normalise_national_id(ssn))
                params.append(
                    {
                        "b_id": row.id,
                        "b_old": row.dek_wrapped,
                        "b_new": wrapped,
                        "b_key": wrapping_key_id(wrapped),
                        "b_index": index,
                    }
                )
            await session.execute(swap, params)
            done += len(rows)
            if progress is not None:
                progress(done)
        log.info("keys.rotate_batch", rotated=done, primary=primary)
    if done:
        # Every row was rewritten: let PostgreSQL clean up now, not at autovacuum's pace.
        await refresh_statistics(sessionmaker, ("employees",))
    return done


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
    # Pay cells sealed with this person's salary go with the key (shre.employees.paycells).
    await forget_stale(session)
    log.info("keys.shred", employee_id=str(employee_id))


@dataclass
class ResealReport:
    scanned: int = 0
    encrypted: int = 0
    imported_legacy: int = 0
    keys_issued: int = 0
    refused: list[str] = field(default_factory=list)


async def reseal_plaintext(
    sessionmaker: async_sessionmaker[AsyncSession],
    vault: EmployeeVault,
    *,
    legacy_passphrase: str | None = None,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ResealReport:
    """Encrypt sensitive values found in clear (an import, an older schema) in place.

    With `legacy_passphrase`, values encrypted by the seed system (crypto-js) are
    decrypted with it and sealed properly. A value that looks like a shre ciphertext but
    does not open is never overwritten: it is reported as refused. Safe to re-run.
    """
    report = ResealReport()
    last: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session, session.begin():
            stmt = select(Employee).order_by(Employee.id).limit(batch_size)
            if last is not None:
                stmt = stmt.where(Employee.id > last)
            batch = list((await session.execute(stmt)).scalars())
            if not batch:
                return report
            for employee in batch:
                _reseal_one(vault, employee, legacy_passphrase, report)
            await session.flush()
            last = batch[-1].id
            report.scanned += len(batch)
        if progress is not None:
            progress(report.scanned)


def _reseal_one(
    vault: EmployeeVault, employee: Employee, passphrase: str | None, report: ResealReport
) -> None:
    found: dict[str, str] = {}
    for name, column in SEALED_COLUMNS.items():
        value = getattr(employee, column)
        if value is None or _is_shre_token(value):
            continue
        if is_legacy_ciphertext(value):
            if passphrase is None:
                continue  # left for `import-legacy`
            try:
                value = decrypt_cryptojs(value, passphrase)
            except CryptoError:
                report.refused.append(f"{employee.id} {name}: legacy value does not decrypt")
                continue
            if any(unicodedata.category(ch) == "Cc" for ch in value):
                # CBC has no authentication: a wrong passphrase can, rarely, unpad to
                # garbage. Real values have no control characters; keep the original.
                report.refused.append(f"{employee.id} {name}: wrong passphrase (garbage)")
                continue
            found[name] = value
            report.imported_legacy += 1
        else:
            found[name] = value
            report.encrypted += 1
    if not found:
        return
    if employee.dek_wrapped is None:
        box = vault.issue_key(employee)
        report.keys_issued += 1
    else:
        box = vault.box(employee)
    typed: dict[str, object] = {}
    for name, value in found.items():
        if name == "salary":
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                number = Decimal("NaN")
            if not number.is_finite():
                report.refused.append(f"{employee.id} salary: not a number")
                continue
            typed[name] = number
        elif name == "date_of_birth":
            try:
                typed[name] = date.fromisoformat(value.strip())
            except ValueError:
                report.refused.append(f"{employee.id} date_of_birth: not an ISO date")
                continue
        elif name == "salary_currency":
            if not CURRENCY.fullmatch(value.strip()):
                report.refused.append(f"{employee.id} salary_currency: not an ISO 4217 code")
                continue
            typed[name] = value.strip()
        else:
            typed[name] = value
    vault.seal(box, employee, typed)


def _is_shre_token(value: str) -> bool:
    """Well-formed as a shre v1 field ciphertext (whether or not it opens)."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= FIELD_MIN_LENGTH and raw[0] == VERSION_1
