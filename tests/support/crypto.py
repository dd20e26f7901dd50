"""Small builders and probes shared by the crypto tests, and the settings of a master
key's rotation."""

from __future__ import annotations

import base64
import secrets
import uuid
from pathlib import Path

from shre.crypto import DataKey, FieldBox, FieldContext, Keyring, MasterKey
from shre.settings import Settings
from tests.support.app import base_settings


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


def new_key() -> str:
    """A master key as ENCRYPTION_KEY takes it (32 random bytes, base64)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def with_keys(settings: Settings, tmp_path: Path, primary: str, *old: str) -> Settings:
    """`settings`' database and JWT secret, under the master key `primary` with `old`
    retired (ENCRYPTION_OLD_KEYS): the settings of a rotation."""
    return base_settings(
        tmp_path,
        settings.database_url,
        encryption_key=primary,
        encryption_old_keys=",".join(old),
        jwt_secret=settings.jwt_key(),
    )
