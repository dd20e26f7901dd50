"""Envelope encryption: per-employee data keys (DEKs) wrapped by a master key, and field
values sealed with AES-256-GCM under the DEK, bound to their table, column and row.

Binary formats (stored base64-encoded, standard alphabet with padding):

    wrapped data key, v1 (69 bytes)
        0x01 | master key id (4) | data key id (4) | nonce (12) | AES-GCM(DEK) (32+16)
        associated data: b"shre/dek/v1" | bytes 0..9 | owner id
    field value, v1 (33 bytes + plaintext)
        0x01 | data key id (4) | nonce (12) | AES-GCM(UTF-8 value) (n+16)
        associated data: b"shre/field/v1" | bytes 0..5 | table | column | row id
        (each length-prefixed, so no two contexts encode alike)

The header is authenticated with the value, so a changed version byte or key id fails
like a flipped bit of the ciphertext. Nonces are 96 random bits; with at most a few
hundred values per data key, collisions are out of reach.
"""

from __future__ import annotations

import base64
import binascii
import os
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shre.crypto.errors import DecryptionFailed, MalformedCiphertext, UnknownKeyId
from shre.crypto.keyring import KEY_ID_BYTES, Keyring

VERSION_1 = 0x01
NONCE_BYTES = 12
TAG_BYTES = 16
DEK_BYTES = 32
_DEK_HEADER = 1 + KEY_ID_BYTES + KEY_ID_BYTES
_DEK_LENGTH = _DEK_HEADER + NONCE_BYTES + DEK_BYTES + TAG_BYTES
_FIELD_HEADER = 1 + KEY_ID_BYTES
_FIELD_MIN = _FIELD_HEADER + NONCE_BYTES + TAG_BYTES
FIELD_MIN_LENGTH = _FIELD_MIN


def _b64decode(token: str) -> bytes:
    try:
        return base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise MalformedCiphertext("not a base64 ciphertext") from exc


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM: ciphertext followed by the 16-byte tag (the one primitive used here)."""
    if len(key) != 32 or len(nonce) != NONCE_BYTES:
        raise ValueError("AES-256-GCM takes a 32-byte key and a 12-byte nonce")
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Open what `seal` made; DecryptionFailed when anything was changed."""
    try:
        return AESGCM(key).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise DecryptionFailed("authentication failed") from None


def _framed(*parts: bytes) -> bytes:
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


@dataclass(frozen=True, slots=True)
class FieldContext:
    """Where a value lives; part of its associated data, so it cannot be moved."""

    table: str
    column: str
    row_id: uuid.UUID | str

    def aad(self, header: bytes) -> bytes:
        return (
            b"shre/field/v1"
            + header
            + _framed(self.table.encode(), self.column.encode(), str(self.row_id).encode())
        )


@dataclass(frozen=True, slots=True)
class DataKey:
    """A 256-bit data encryption key with a random 4-byte id."""

    key: bytes = field(repr=False)
    id: bytes

    @classmethod
    def generate(cls) -> DataKey:
        return cls(AESGCM.generate_key(bit_length=256), os.urandom(KEY_ID_BYTES))


def wrap_data_key(keyring: Keyring, dek: DataKey, owner: uuid.UUID | str) -> str:
    """Seal a data key under the primary master key, bound to its owner's id."""
    master = keyring.primary
    header = bytes([VERSION_1]) + master.id + dek.id
    nonce = os.urandom(NONCE_BYTES)
    sealed = seal(master.key, nonce, dek.key, _dek_aad(header, owner))
    return _b64encode(header + nonce + sealed)


def unwrap_data_key(keyring: Keyring, wrapped: str, owner: uuid.UUID | str) -> DataKey:
    raw = _b64decode(wrapped)
    if len(raw) != _DEK_LENGTH or raw[0] != VERSION_1:
        raise MalformedCiphertext("not a v1 wrapped data key")
    header = raw[:_DEK_HEADER]
    master = keyring.get(raw[1 : 1 + KEY_ID_BYTES])
    nonce = raw[_DEK_HEADER : _DEK_HEADER + NONCE_BYTES]
    try:
        key = unseal(master.key, nonce, raw[_DEK_HEADER + NONCE_BYTES :], _dek_aad(header, owner))
    except DecryptionFailed:
        raise DecryptionFailed("wrapped data key failed authentication") from None
    return DataKey(key, raw[1 + KEY_ID_BYTES : _DEK_HEADER])


def wrapping_key_id(wrapped: str) -> str:
    """Hex id of the master key a wrapped data key is sealed under (no decryption)."""
    raw = _b64decode(wrapped)
    if len(raw) != _DEK_LENGTH or raw[0] != VERSION_1:
        raise MalformedCiphertext("not a v1 wrapped data key")
    return raw[1 : 1 + KEY_ID_BYTES].hex()


def rewrap_data_key(keyring: Keyring, wrapped: str, owner: uuid.UUID | str) -> str:
    """The same data key sealed under the primary master key (values stay as they are)."""
    return wrap_data_key(keyring, unwrap_data_key(keyring, wrapped, owner), owner)


def _dek_aad(header: bytes, owner: uuid.UUID | str) -> bytes:
    return b"shre/dek/v1" + header + _framed(str(owner).encode())


class FieldBox:
    """Seals and opens the field values of one owner under its data key."""

    def __init__(self, dek: DataKey) -> None:
        self._key = dek.key
        self.key_id = dek.id

    def encrypt(self, value: str, context: FieldContext) -> str:
        return _b64encode(self.seal_bytes(value.encode("utf-8"), context))

    def decrypt(self, token: str, context: FieldContext) -> str:
        return self.open_bytes(_b64decode(token), context).decode("utf-8")

    def seal_bytes(self, value: bytes, context: FieldContext) -> bytes:
        """The field value format, unencoded (for blobs: a trained model)."""
        header = bytes([VERSION_1]) + self.key_id
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + seal(self._key, nonce, value, context.aad(header))

    def open_bytes(self, raw: bytes, context: FieldContext) -> bytes:
        if len(raw) < _FIELD_MIN or raw[0] != VERSION_1:
            raise MalformedCiphertext("not a v1 field ciphertext")
        header = raw[:_FIELD_HEADER]
        if header[1:] != self.key_id:
            raise UnknownKeyId(
                f"value is sealed under data key {header[1:].hex()}, not {self.key_id.hex()}"
            )
        nonce = raw[_FIELD_HEADER : _FIELD_HEADER + NONCE_BYTES]
        try:
            return unseal(self._key, nonce, raw[_FIELD_HEADER + NONCE_BYTES :], context.aad(header))
        except DecryptionFailed:
            raise DecryptionFailed(
                f"{context.table}.{context.column} failed authentication"
            ) from None

    def encrypt_number(self, value: Decimal, context: FieldContext) -> str:
        """Decimals keep their exact value and scale ("1000.50" stays "1000.50")."""
        if not value.is_finite():
            raise ValueError("only finite numbers can be encrypted")
        return self.encrypt(str(value), context)

    def decrypt_number(self, token: str, context: FieldContext) -> Decimal:
        text = self.decrypt(token, context)
        try:
            return Decimal(text)
        except InvalidOperation:
            raise DecryptionFailed(
                f"{context.table}.{context.column} does not hold a number"
            ) from None
