"""Blind indexes: exact-match search over encrypted values without decrypting anything.

The index of a value is HMAC-SHA256 over its normalised form, under a key derived (HKDF)
from the master key for that purpose. It is stored as `<master key id>:<32 hex chars>`.
During a rotation rows may still carry the index of a retired key, so a lookup asks for
the candidates of every configured key: still one indexed `IN (...)` query.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from shre.crypto.keyring import Keyring, MasterKey, derive

INDEX_BYTES = 16


def normalise_national_id(value: str) -> str:
    """Separators, spaces and case do not matter: "123-45-6789" == "123 45 6789".
    Letters are kept (uppercased) for national IDs that have them."""
    folded = unicodedata.normalize("NFKC", value).upper()
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


class BlindIndexer:
    def __init__(self, keyring: Keyring, purpose: str) -> None:
        self._keys = {
            key.id: derive(key.key, b"shre/blind-index/v1/" + purpose.encode())
            for key in keyring.keys
        }
        self._primary = keyring.primary

    def _digest(self, key: MasterKey | bytes, normalised: str) -> str:
        key_id = key.id if isinstance(key, MasterKey) else key
        mac = hmac.new(self._keys[key_id], normalised.encode(), hashlib.sha256).digest()
        return f"{key_id.hex()}:{mac[:INDEX_BYTES].hex()}"

    def index(self, normalised: str) -> str:
        """The index to store, under the primary key."""
        return self._digest(self._primary, normalised)

    def candidates(self, normalised: str) -> list[str]:
        """Every index the value may be stored under (primary and retired keys)."""
        return [self._digest(key_id, normalised) for key_id in self._keys]


def sha256_hex(value: str) -> str:
    """SHA-256 of a text, hex (the seed's `hash`; not for secrets of low entropy)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
