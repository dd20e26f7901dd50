"""The mapper between an Employee row and its sensitive values: sealing on write,
opening on read, under the employee's own data key. Services never touch ciphertext."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from shre.crypto import (
    BlindIndexer,
    DataKey,
    FieldBox,
    FieldContext,
    Keyring,
    normalise_national_id,
    unwrap_data_key,
    wrap_data_key,
    wrapping_key_id,
)
from shre.crypto.errors import CryptoError
from shre.employees.models import Employee, EmployeeChange

TABLE = "employees"
# API field -> ciphertext column
SEALED_COLUMNS = {
    "salary": "salary_enc",
    "salary_currency": "salary_currency_enc",
    "ssn": "ssn_enc",
    "bank_account": "bank_account_enc",
    "date_of_birth": "date_of_birth_enc",
    "home_address": "home_address_enc",
}

# What salary figures open of each person: the amount and its currency.
SALARY_WITH_CURRENCY = frozenset({"salary", "salary_currency"})


class KeyDestroyed(CryptoError):
    """The employee's data key was destroyed (crypto-shredded): the values are gone."""


@dataclass(frozen=True, slots=True)
class EmployeeVault:
    keyring: Keyring
    ssn_index: BlindIndexer

    @classmethod
    def create(cls, keyring: Keyring) -> EmployeeVault:
        return cls(keyring, BlindIndexer(keyring, "employees.ssn"))

    def new_key(self, employee_id: uuid.UUID) -> tuple[FieldBox, str]:
        """A new data key for an employee: the box that seals with it, and the key
        wrapped by the master key (what the row stores in `dek_wrapped`)."""
        dek = DataKey.generate()
        return FieldBox(dek), wrap_data_key(self.keyring, dek, employee_id)

    @staticmethod
    def key_id(wrapped: str) -> str:
        """The id of the master key a wrapped data key is wrapped under (`dek_key_id`)."""
        return wrapping_key_id(wrapped)

    def issue_key(self, employee: Employee) -> FieldBox:
        """A new data key for a new employee (its id must be set)."""
        box, employee.dek_wrapped = self.new_key(employee.id)
        employee.dek_key_id = self.key_id(employee.dek_wrapped)
        return box

    def box(self, employee: Employee) -> FieldBox:
        if employee.dek_wrapped is None:
            raise KeyDestroyed(f"the data key of employee {employee.id} was destroyed")
        return self.box_for(employee.id, employee.dek_wrapped)

    def box_for(self, employee_id: uuid.UUID, wrapped: str) -> FieldBox:
        return FieldBox(unwrap_data_key(self.keyring, wrapped, employee_id))

    def seal(self, box: FieldBox | None, employee: Employee, values: dict[str, Any]) -> None:
        """Write the given sensitive values (None clears one) as ciphertext; `box` None
        (a destroyed key) can only clear."""
        for column, stored in self.sealed(box, employee.id, values).items():
            setattr(employee, column, stored)

    def sealed(
        self, box: FieldBox | None, employee_id: uuid.UUID, values: dict[str, Any]
    ) -> dict[str, str | None]:
        """The stored form of the given sensitive values, by column: ciphertext bound to
        the employee's row (and the national ID's blind index), for a row written by the
        ORM (`seal`) or in bulk (seed-demo)."""
        out: dict[str, str | None] = {}
        for name, value in values.items():
            column = SEALED_COLUMNS[name]
            context = FieldContext(TABLE, column, employee_id)
            if value is None:
                token = None
            elif box is None:
                raise KeyDestroyed(f"the data key of employee {employee_id} was destroyed")
            elif isinstance(value, Decimal):
                token = box.encrypt_number(value, context)
            elif isinstance(value, date):
                token = box.encrypt(value.isoformat(), context)
            else:
                token = box.encrypt(str(value), context)
            out[column] = token
            if name == "ssn":
                out["ssn_index"] = (
                    None if value is None else self.ssn_index.index(normalise_national_id(value))
                )
        return out

    def open(self, employee: Employee, names: frozenset[str]) -> dict[str, Any]:
        """Decrypt the requested sensitive fields (only those; never more)."""
        wanted = [n for n in SEALED_COLUMNS if n in names]
        stored = {n: getattr(employee, SEALED_COLUMNS[n]) for n in wanted}
        if employee.dek_wrapped is None or not any(v is not None for v in stored.values()):
            # No values, or crypto-shredded: the key is gone, and with it the values.
            return dict.fromkeys(wanted)
        box = self.box(employee)
        out: dict[str, Any] = {}
        for name, token in stored.items():
            if token is None:
                out[name] = None
                continue
            context = FieldContext(TABLE, SEALED_COLUMNS[name], employee.id)
            if name == "salary":
                out[name] = box.decrypt_number(token, context)
            elif name == "date_of_birth":
                out[name] = date.fromisoformat(box.decrypt(token, context))
            else:
                out[name] = box.decrypt(token, context)
        return out

    def seal_change(self, box: FieldBox, change: EmployeeChange) -> None:
        """Encrypt a salary change's values in place (other fields are not sensitive)."""
        if change.field != "salary":
            return
        for column in ("old_value", "new_value"):
            value = getattr(change, column)
            if value is not None:
                setattr(change, column, self.sealed_change(box, change.id, column, value))

    @staticmethod
    def sealed_change(box: FieldBox, change_id: uuid.UUID, column: str, value: str) -> str:
        """A salary change's old or new value as stored, bound to its history row."""
        return box.encrypt(value, FieldContext("employee_history", column, change_id))

    def open_change(self, box: FieldBox | None, change: EmployeeChange) -> tuple[str | None, ...]:
        if change.field != "salary":
            return change.old_value, change.new_value
        if box is None:  # crypto-shredded: the salary history went with the key
            return None, None
        return tuple(
            None
            if getattr(change, column) is None
            else box.decrypt(
                getattr(change, column), FieldContext("employee_history", column, change.id)
            )
            for column in ("old_value", "new_value")
        )

    def ssn_candidates(self, ssn: str) -> list[str]:
        return self.ssn_index.candidates(normalise_national_id(ssn))
