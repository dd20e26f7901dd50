"""Signatures over the head of the chain and its checkpoints: HMAC-SHA256 under a key
derived (HKDF) from each master key. The hash chain alone is unkeyed: whoever can write
the table can rewrite the tail and recompute every hash. These signatures need the
master key, which the database never holds."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from shre.crypto import Keyring
from shre.crypto.keyring import derive

PURPOSE = b"shre/audit-seal/v1"


class AuditSealer:
    def __init__(self, keyring: Keyring) -> None:
        self._keys = {key.hex_id: derive(key.key, PURPOSE) for key in keyring.keys}
        self.primary_id = keyring.primary.hex_id

    @staticmethod
    def _message(kind: str, parts: Sequence[object]) -> bytes:
        return "\n".join([f"shre-audit-{kind}", *(str(p) for p in parts)]).encode()

    def sign(self, kind: str, *parts: object) -> tuple[str, str]:
        """(key id, MAC hex) under the primary master key."""
        key = self._keys[self.primary_id]
        mac = hmac.new(key, self._message(kind, parts), hashlib.sha256).hexdigest()
        return self.primary_id, mac

    def knows(self, key_id: str | None) -> bool:
        return key_id in self._keys

    def check(self, kind: str, key_id: str | None, mac: str | None, *parts: object) -> bool:
        """True when `mac` signs these parts under the configured key `key_id`."""
        key = self._keys.get(key_id or "")
        if key is None or mac is None:
            return False
        expected = hmac.new(key, self._message(kind, parts), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, mac)
