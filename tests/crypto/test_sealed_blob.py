"""Blobs sealed under a purpose's subkey of the master key (a retrained classifier's
bytes): bound to their row, opened by whichever configured master key sealed them."""

from __future__ import annotations

import os

import pytest

from shre.crypto import DecryptionFailed, Keyring, MasterKey, UnknownKeyId
from shre.crypto.derived import SealedBlob

OLD, NEW = MasterKey(os.urandom(32)), MasterKey(os.urandom(32))
DATA = os.urandom(1000) + b"vocabulary: kowalski"


def blob(keyring: Keyring, row: str = "r1", purpose: bytes = b"test/v1") -> SealedBlob:
    return SealedBlob(keyring, purpose, "classifier_models", "artifact", row)


def test_sealed_bytes_open_to_what_was_sealed_and_hide_it() -> None:
    sealed = blob(Keyring(NEW)).seal(DATA)
    assert b"kowalski" not in sealed
    assert len(sealed) == len(DATA) + 1 + 4 + 12 + 16
    assert blob(Keyring(NEW)).open(sealed) == DATA
    assert blob(Keyring(NEW)).seal(DATA) != sealed  # a fresh nonce each time


def test_sealed_bytes_are_bound_to_their_row_purpose_and_content() -> None:
    sealed = blob(Keyring(NEW)).seal(DATA)
    with pytest.raises(DecryptionFailed):
        blob(Keyring(NEW), row="r2").open(sealed)
    with pytest.raises(DecryptionFailed):
        blob(Keyring(NEW), purpose=b"other/v1").open(sealed)
    flipped = bytearray(sealed)
    flipped[40] ^= 1
    with pytest.raises(DecryptionFailed):
        blob(Keyring(NEW)).open(bytes(flipped))


def test_a_retired_master_key_opens_until_it_is_removed() -> None:
    sealed = blob(Keyring(OLD)).seal(DATA)
    assert blob(Keyring(NEW, (OLD,))).open(sealed) == DATA
    with pytest.raises(UnknownKeyId):
        blob(Keyring(NEW)).open(sealed)
