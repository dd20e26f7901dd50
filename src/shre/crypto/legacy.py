"""Values encrypted by the seed system with crypto-js `AES.encrypt(text, passphrase)`.

That is OpenSSL's `enc -aes-256-cbc -md md5 -salt` format: base64 of b"Salted__", an
8-byte salt and the AES-256-CBC ciphertext (PKCS#7 padded), with key and IV from
EVP_BytesToKey(MD5, passphrase, salt). It has no authentication; it is only ever read,
to re-encrypt the value properly (`shre keys import-legacy`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shre.crypto.errors import DecryptionFailed, MalformedCiphertext

MAGIC = b"Salted__"


def evp_bytes_to_key(
    passphrase: bytes, salt: bytes, key_len: int = 32, iv_len: int = 16
) -> tuple[bytes, bytes]:
    """OpenSSL's EVP_BytesToKey with MD5 and one iteration (what crypto-js uses)."""
    derived = b""
    block = b""
    while len(derived) < key_len + iv_len:
        block = hashlib.md5(block + passphrase + salt, usedforsecurity=False).digest()
        derived += block
    return derived[:key_len], derived[key_len : key_len + iv_len]


def is_legacy_ciphertext(value: str) -> bool:
    try:
        # Stripped like decrypt_cryptojs does: what it opens must be recognised.
        return base64.b64decode(value.strip(), validate=True).startswith(MAGIC)
    except (binascii.Error, ValueError):
        return False


def decrypt_cryptojs(token: str, passphrase: str) -> str:
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedCiphertext("not base64") from exc
    if not raw.startswith(MAGIC) or len(raw) < 32 or (len(raw) - 16) % 16:
        raise MalformedCiphertext("not a crypto-js/OpenSSL salted ciphertext")
    key, iv = evp_bytes_to_key(passphrase.encode("utf-8"), raw[8:16])
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(raw[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise DecryptionFailed("wrong passphrase, or the value is corrupted") from None
