"""Derived data sealed under the primary master key: aggregates computed from sealed
values (cached salary figures, pay cells) are sealed too, under a subkey of the primary
master key for their purpose. They are never re-wrapped: sealed under a key no longer
primary, they are computed again."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from shre.crypto.envelope import DataKey, FieldBox, FieldContext
from shre.crypto.errors import UnknownKeyId
from shre.crypto.keyring import KEY_ID_BYTES, Keyring, derive


def purpose_box(keyring: Keyring, purpose: bytes) -> FieldBox:
    """The box of one purpose's subkey of the primary master key."""
    primary = keyring.primary
    return FieldBox(DataKey(derive(primary.key, purpose), primary.id))


class SealedJson:
    """A JSON value sealed under `purpose`'s subkey, bound to where it is kept (`table`,
    `column`, `row`: e.g. the cache namespace and the entry's key)."""

    def __init__(
        self, keyring: Keyring, purpose: bytes, table: str, column: str, row: uuid.UUID | str
    ) -> None:
        self.box = purpose_box(keyring, purpose)
        self.context = FieldContext(table, column, row)

    def seal(self, value: dict[str, Any]) -> str:
        return self.box.encrypt(orjson.dumps(value).decode(), self.context)

    def open(self, token: str) -> dict[str, Any] | None:
        """The value, or None when sealed under a master key no longer primary."""
        try:
            opened: dict[str, Any] = orjson.loads(self.box.decrypt(token, self.context))
        except UnknownKeyId:
            return None
        return opened


class SealedBlob:
    """Bytes sealed under `purpose`'s subkey of the primary master key, bound to the row
    that keeps them; opened under whichever configured master key sealed them (a retired
    key still opens them until it is removed from ENCRYPTION_OLD_KEYS)."""

    def __init__(self, keyring: Keyring, purpose: bytes, table: str, column: str, row: str) -> None:
        self.keyring = keyring
        self.purpose = purpose
        self.context = FieldContext(table, column, row)

    def seal(self, value: bytes) -> bytes:
        return purpose_box(self.keyring, self.purpose).seal_bytes(value, self.context)

    def open(self, sealed: bytes) -> bytes:
        """The bytes; UnknownKeyId when their master key is not configured any more."""
        master = self.keyring.get(sealed[1 : 1 + KEY_ID_BYTES])
        box = FieldBox(DataKey(derive(master.key, self.purpose), master.id))
        return box.open_bytes(sealed, self.context)
