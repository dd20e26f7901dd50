"""Master keys: the primary (ENCRYPTION_KEY) encrypts, retired ones (ENCRYPTION_OLD_KEYS)
still decrypt during a rotation. Each key has a short public id derived from it."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shre.crypto.errors import UnknownKeyId
from shre.settings import Settings, decode_master_key

KEY_ID_BYTES = 4


def generate_key() -> str:
    """A new random 256-bit master key, base64 (what `openssl rand -base64 32` prints)."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def derive(key: bytes, purpose: bytes, length: int = 32) -> bytes:
    """A subkey of `key` for one purpose (HKDF-SHA256); subkeys of different purposes are
    independent, and none reveals the master key."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(key)


@dataclass(frozen=True, slots=True)
class MasterKey:
    key: bytes = field(repr=False)
    id: bytes = field(init=False)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise ValueError("a master key is 32 bytes")
        object.__setattr__(self, "id", derive(self.key, b"shre/key-id/v1", KEY_ID_BYTES))

    @property
    def hex_id(self) -> str:
        return self.id.hex()


class Keyring:
    def __init__(self, primary: MasterKey, retired: tuple[MasterKey, ...] = ()) -> None:
        self.primary = primary
        self._by_id = {k.id: k for k in retired}
        self._by_id[primary.id] = primary  # the primary wins an id collision
        self.retired = tuple(k for k in retired if k.id != primary.id)

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        retired = tuple(
            MasterKey(decode_master_key(k.get_secret_value())) for k in settings.encryption_old_keys
        )
        return cls(MasterKey(settings.master_key()), retired)

    @property
    def keys(self) -> tuple[MasterKey, ...]:
        return (self.primary, *self.retired)

    def get(self, key_id: bytes) -> MasterKey:
        try:
            return self._by_id[key_id]
        except KeyError:
            raise UnknownKeyId(
                f"master key {key_id.hex()} is not configured "
                "(set it in ENCRYPTION_KEY or ENCRYPTION_OLD_KEYS)"
            ) from None
