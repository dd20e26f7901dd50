"""Crypto failures are exceptions, never garbage or a silent None. Messages never carry
the plaintext or key material."""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every encryption/decryption failure."""


class MalformedCiphertext(CryptoError):
    """Not a shre ciphertext: bad encoding, too short, or an unknown format version."""


class UnknownKeyId(CryptoError):
    """The value names a key this process does not hold (retired and removed, or foreign)."""


class DecryptionFailed(CryptoError):
    """Authentication failed: tampered, truncated, moved to another row/column, or wrong key."""
