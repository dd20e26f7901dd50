"""Signed, expiring download links for local storage (what S3 presigning is for S3).

A token is `base64url(payload) "." base64url(HMAC-SHA256)`. The payload is compact JSON
`{"v":1,"i":<master key id>,"k":<object key>,"x":<expiry, unix s>[,"d":"inline"]}`. The
MAC key is derived (HKDF) from a master key for this purpose only; the primary key signs,
retired keys still verify during a rotation (links live an hour at most).

The payload is signed, not encrypted, so it holds nothing but ids: no filename or content
type (a link ends up in access logs and browser history). The route that serves it takes
those from the document row it loads anyway, for the owner's data key and the audit event.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from shre.crypto import Keyring
from shre.crypto.keyring import derive
from shre.storage.base import SignedLink
from shre.storage.errors import SignedUrlExpired, SignedUrlInvalid
from shre.storage.keys import PRESIGN_MAX_SECONDS, check_expires_in, validate_key

PURPOSE = b"shre/storage/signed-url/v1"
MAX_TOKEN_LENGTH = 4096


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SignedUrlInvalid("download link is malformed") from None


class UrlSigner:
    def __init__(self, keyring: Keyring, clock: Callable[[], float] = time.time) -> None:
        self._keys = {key.id.hex(): derive(key.key, PURPOSE) for key in keyring.keys}
        self._primary = keyring.primary.id.hex()
        self._clock = clock

    def sign(
        self,
        key: str,
        expires_in: int,
        *,
        disposition: str = "attachment",
        maximum: int = PRESIGN_MAX_SECONDS,
    ) -> str:
        validate_key(key)
        check_expires_in(expires_in, maximum)
        if disposition not in {"attachment", "inline"}:
            raise ValueError("disposition must be 'attachment' or 'inline'")
        payload: dict[str, Any] = {
            "v": 1,
            "i": self._primary,
            "k": key,
            "x": int(self._clock()) + expires_in,
        }
        if disposition != "attachment":
            payload["d"] = disposition
        body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{_b64(self._mac(self._keys[self._primary], body))}"

    def verify(self, token: str) -> SignedLink:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
            raise SignedUrlInvalid("download link is malformed")
        body, mac = token.split(".")
        try:
            payload = json.loads(_unb64(body))
            key_id = payload["i"]
        except (ValueError, KeyError, TypeError):
            raise SignedUrlInvalid("download link is malformed") from None
        secret = self._keys.get(key_id) if isinstance(key_id, str) else None
        if secret is None:
            raise SignedUrlInvalid("download link was signed by a key that is not configured")
        if not hmac.compare_digest(_unb64(mac), self._mac(secret, body)):
            raise SignedUrlInvalid("download link signature does not match")
        # Authentic from here on: the fields are what sign() wrote.
        try:
            link = SignedLink(
                key=validate_key(payload["k"]),
                expires_at=int(payload["x"]),
                disposition=str(payload.get("d", "attachment")),
            )
        except (KeyError, TypeError, ValueError):  # InvalidKey is a ValueError
            raise SignedUrlInvalid("download link is malformed") from None
        if payload.get("v") != 1:
            raise SignedUrlInvalid("download link has an unknown version")
        if self._clock() >= link.expires_at:
            raise SignedUrlExpired("download link has expired")
        return link

    @staticmethod
    def _mac(secret: bytes, body: str) -> bytes:
        return hmac.new(secret, PURPOSE + b"." + body.encode("ascii"), hashlib.sha256).digest()
