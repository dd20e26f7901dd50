"""Small builders and probes shared by the crypto tests (pure logic, no database)."""

from __future__ import annotations

import base64
import secrets
import uuid

from shre.crypto import DataKey, FieldBox, FieldContext, Keyring, MasterKey


def master_key() -> MasterKey:
    return MasterKey(secrets.token_bytes(32))


def keyring(*retired: MasterKey, primary: MasterKey | None = None) -> Keyring:
    return Keyring(primary or master_key(), retired)


def box() -> FieldBox:
    return FieldBox(DataKey.generate())


def context(column: str = "ssn_enc", row_id: uuid.UUID | str | None = None) -> FieldContext:
    return FieldContext("employees", column, row_id or uuid.uuid4())


def raw(token: str) -> bytes:
    return base64.b64decode(token, validate=True)


def token(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def flip(token_: str, bit: int) -> str:
    """The token with one bit of its binary form inverted (bit 0 = MSB of byte 0)."""
    data = bytearray(raw(token_))
    data[bit // 8] ^= 0x80 >> (bit % 8)
    return token(bytes(data))


def exception_texts(exc: BaseException) -> str:
    """Every message an error tracker could show for exc: its own and its whole chain's,
    suppressed context included."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), *map(repr, current.args)]
        current = current.__cause__ or current.__context__
    return "\n".join(texts)


def key_renderings(key: bytes) -> list[str]:
    """The forms a leaked key would take in text."""
    return [
        key.hex(),
        key.hex().upper(),
        base64.b64encode(key).decode(),
        base64.urlsafe_b64encode(key).decode(),
        repr(key)[2:-1],
    ]
