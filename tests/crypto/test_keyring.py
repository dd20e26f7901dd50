"""Master keys and data keys: wrapping, rotation, retired keys, crypto-shredding.

The wrapped-key layout is the documented contract (envelope.py), written out here:
version (1) | master key id (4) | data key id (4) | nonce (12) | sealed key (32 + 16).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shre.crypto import (
    CryptoError,
    DataKey,
    DecryptionFailed,
    FieldBox,
    Keyring,
    MalformedCiphertext,
    MasterKey,
    UnknownKeyId,
    generate_key,
    rewrap_data_key,
    unwrap_data_key,
    wrap_data_key,
    wrapping_key_id,
)
from shre.settings import SettingsError, decode_master_key, load_settings
from tests.support.crypto import (
    context,
    exception_texts,
    flip,
    key_renderings,
    keyring,
    master_key,
    raw,
    token,
)

WRAPPED_LENGTH = 1 + 4 + 4 + 12 + 32 + 16
MASTER_ID = slice(1, 5)
DATA_ID = slice(5, 9)

owners = st.uuids() | st.text(max_size=40)


def _keyring_from_settings(tmp_path: Path, primary: str, old: str = "") -> Keyring:
    settings = load_settings(
        _env_file=None,
        encryption_key=primary,
        encryption_old_keys=old,
        jwt_secret="x" * 40,
        shre_var_dir=tmp_path / "var",
    )
    return Keyring.from_settings(settings)


# --- wrapping -----------------------------------------------------------------------

RING = keyring()


@given(owner=owners)
def test_wrap_unwrap_round_trip(owner: uuid.UUID | str) -> None:
    dek = DataKey.generate()
    wrapped = wrap_data_key(RING, dek, owner)
    assert len(raw(wrapped)) == WRAPPED_LENGTH
    assert unwrap_data_key(RING, wrapped, owner) == dek


@given(owner=owners, other=owners)
def test_unwrap_for_another_owner_fails(owner: uuid.UUID | str, other: uuid.UUID | str) -> None:
    assume(str(owner) != str(other))
    wrapped = wrap_data_key(RING, DataKey.generate(), owner)
    with pytest.raises(DecryptionFailed):
        unwrap_data_key(RING, wrapped, other)


def test_wrapping_key_id_names_the_primary() -> None:
    old, new = master_key(), master_key()
    wrapped = wrap_data_key(Keyring(new, (old,)), DataKey.generate(), uuid.uuid4())
    assert wrapping_key_id(wrapped) == new.hex_id
    assert raw(wrapped)[MASTER_ID] == new.id


def test_the_wrapping_hides_the_data_key() -> None:
    dek = DataKey.generate()
    wrapped = wrap_data_key(RING, dek, "owner")
    assert dek.key not in raw(wrapped)
    assert all(form not in wrapped for form in key_renderings(dek.key))
    assert wrap_data_key(RING, dek, "owner") != wrapped  # a fresh nonce each time


def test_every_single_bit_flip_of_a_wrapped_key_fails() -> None:
    owner = uuid.uuid4()
    wrapped = wrap_data_key(RING, DataKey.generate(), owner)
    for bit in range(WRAPPED_LENGTH * 8):
        byte = bit // 8
        expected: type[CryptoError] = DecryptionFailed
        if byte == 0:
            expected = MalformedCiphertext
        elif byte < MASTER_ID.stop:
            expected = UnknownKeyId
        with pytest.raises(expected):
            unwrap_data_key(RING, flip(wrapped, bit), owner)


def test_truncated_extended_or_garbled_wrapped_keys_are_malformed() -> None:
    owner = uuid.uuid4()
    data = raw(wrap_data_key(RING, DataKey.generate(), owner))
    variants = [token(data[:n]) for n in range(WRAPPED_LENGTH)]
    variants += [token(data + b"\x00"), token(data + data), "not base64", "", " " + token(data)]
    for variant in variants:
        with pytest.raises(MalformedCiphertext):
            unwrap_data_key(RING, variant, owner)
        with pytest.raises(MalformedCiphertext):
            wrapping_key_id(variant)


def test_a_forged_wrapped_key_with_a_known_master_id_fails() -> None:
    owner = uuid.uuid4()
    data = bytearray(raw(wrap_data_key(RING, DataKey.generate(), owner)))
    data[DATA_ID] = secrets.token_bytes(4)  # claim another data key id
    with pytest.raises(DecryptionFailed):
        unwrap_data_key(RING, token(bytes(data)), owner)


# --- rotation -----------------------------------------------------------------------


def test_rewrap_keeps_the_data_key_so_sealed_values_still_open() -> None:
    owner = uuid.uuid4()
    old, new = master_key(), master_key()
    dek = DataKey.generate()
    wrapped = wrap_data_key(Keyring(old), dek, owner)
    where = context("salary_enc", owner)
    sealed = FieldBox(dek).encrypt("85000.00", where)

    rotating = Keyring(new, (old,))
    assert unwrap_data_key(rotating, wrapped, owner) == dek  # retired keys still open
    rewrapped = rewrap_data_key(rotating, wrapped, owner)
    assert wrapping_key_id(rewrapped) == new.hex_id
    assert wrapping_key_id(wrapped) == old.hex_id

    after = Keyring(new)  # the old key is gone now
    same = unwrap_data_key(after, rewrapped, owner)
    assert same.key == dek.key
    assert same.id == dek.id
    assert FieldBox(same).decrypt(sealed, where) == "85000.00"
    with pytest.raises(UnknownKeyId):
        unwrap_data_key(after, wrapped, owner)


def test_rewrap_under_the_same_primary_is_harmless() -> None:
    owner = uuid.uuid4()
    dek = DataKey.generate()
    wrapped = wrap_data_key(RING, dek, owner)
    again = rewrap_data_key(RING, wrapped, owner)
    assert wrapping_key_id(again) == RING.primary.hex_id
    assert unwrap_data_key(RING, again, owner) == dek


def test_rewrap_for_another_owner_fails() -> None:
    wrapped = wrap_data_key(RING, DataKey.generate(), "alice")
    with pytest.raises(DecryptionFailed):
        rewrap_data_key(keyring(RING.primary), wrapped, "bob")


def test_a_keyring_with_several_retired_keys_opens_every_old_wrapping() -> None:
    generations = [master_key() for _ in range(4)]
    owner = uuid.uuid4()
    deks = [DataKey.generate() for _ in generations]
    wrapped = [wrap_data_key(Keyring(k), d, owner) for k, d in zip(generations, deks, strict=True)]
    current = Keyring(master_key(), tuple(generations))
    for old_wrapping, dek in zip(wrapped, deks, strict=True):
        assert unwrap_data_key(current, old_wrapping, owner) == dek
        assert wrapping_key_id(rewrap_data_key(current, old_wrapping, owner)) == (
            current.primary.hex_id
        )


def test_a_wrapping_under_an_unconfigured_key_names_an_unknown_key() -> None:
    gone = master_key()
    wrapped = wrap_data_key(Keyring(gone), DataKey.generate(), "owner")
    with pytest.raises(UnknownKeyId) as caught:
        unwrap_data_key(keyring(master_key()), wrapped, "owner")
    assert gone.hex_id in str(caught.value)  # says which key to configure
    assert all(form not in exception_texts(caught.value) for form in key_renderings(gone.key))


# --- crypto-shredding ---------------------------------------------------------------


def test_without_the_wrapped_data_key_nothing_opens_the_values() -> None:
    owner = uuid.uuid4()
    dek = DataKey.generate()
    where = context("ssn_enc", owner)
    sealed = FieldBox(dek).encrypt("123-45-6789", where)
    wrapped = wrap_data_key(RING, dek, owner)
    del dek  # destroyed: only the ciphertext and the master keys remain

    for _ in range(200):  # any other data key, under its own id or under the forged one
        other = DataKey.generate()
        with pytest.raises(UnknownKeyId):
            FieldBox(other).decrypt(sealed, where)
        with pytest.raises(DecryptionFailed):
            FieldBox(DataKey(other.key, raw(sealed)[1:5])).decrypt(sealed, where)
    # The master key itself (and keys derived from nothing secret) do not open it either.
    for candidate in (RING.primary.key, bytes(32), raw(wrapped)[-32:]):
        with pytest.raises(DecryptionFailed):
            FieldBox(DataKey(candidate, raw(sealed)[1:5])).decrypt(sealed, where)


def test_a_keyring_without_the_master_key_cannot_recover_the_data_key() -> None:
    owner = uuid.uuid4()
    wrapped = wrap_data_key(RING, DataKey.generate(), owner)
    stranger = keyring(master_key())
    with pytest.raises(UnknownKeyId):
        unwrap_data_key(stranger, wrapped, owner)
    forged = bytearray(raw(wrapped))
    forged[MASTER_ID] = stranger.primary.id  # point it at a key that is configured
    with pytest.raises(DecryptionFailed):
        unwrap_data_key(stranger, token(bytes(forged)), owner)


# --- master keys and the keyring ----------------------------------------------------


def test_master_key_ids_are_stable_and_short() -> None:
    material = secrets.token_bytes(32)
    first, second = MasterKey(material), MasterKey(bytes(material))
    assert first.id == second.id
    assert len(first.id) == 4
    assert first.hex_id == first.id.hex()
    assert len(first.hex_id) == 8
    assert first.id not in material  # not a slice of the key


@given(a=st.binary(min_size=32, max_size=32), b=st.binary(min_size=32, max_size=32))
def test_different_master_keys_have_different_ids(a: bytes, b: bytes) -> None:
    assume(a != b)
    assert MasterKey(a).id != MasterKey(b).id


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_a_master_key_is_32_bytes(length: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        MasterKey(bytes(length))


def test_reprs_never_show_key_material() -> None:
    master = master_key()
    dek = DataKey.generate()
    ring = Keyring(master, (master_key(),))
    shown = "\n".join(
        [repr(master), str(master), repr(dek), str(dek), repr(ring), repr(FieldBox(dek))]
        + [repr(k) for k in ring.keys]
    )
    for secret in (master.key, dek.key, *(k.key for k in ring.keys)):
        for form in key_renderings(secret):
            assert form not in shown


def test_keyring_lookup() -> None:
    primary, old = master_key(), master_key()
    ring = Keyring(primary, (old,))
    assert ring.get(primary.id) is primary
    assert ring.get(old.id) is old
    assert ring.keys == (primary, old)
    with pytest.raises(UnknownKeyId):
        ring.get(b"\x00\x00\x00\x00")


def test_a_retired_key_equal_to_the_primary_is_listed_once() -> None:
    primary = master_key()
    ring = Keyring(primary, (MasterKey(primary.key), master_key()))
    assert [k.id for k in ring.keys].count(primary.id) == 1
    assert len(ring.keys) == 2


def test_from_settings_reads_the_primary_and_the_old_keys(tmp_path: Path) -> None:
    primary, k1, k2 = generate_key(), generate_key(), generate_key()
    ring = _keyring_from_settings(tmp_path, primary, f"{k1},{k2}")
    assert ring.primary.key == base64.b64decode(primary)
    assert [k.key for k in ring.retired] == [base64.b64decode(k1), base64.b64decode(k2)]

    # A value wrapped before the rotation opens with the rotated configuration.
    before = _keyring_from_settings(tmp_path, k1)
    dek = DataKey.generate()
    wrapped = wrap_data_key(before, dek, "owner")
    assert unwrap_data_key(ring, wrapped, "owner") == dek
    assert wrapping_key_id(rewrap_data_key(ring, wrapped, "owner")) == ring.primary.hex_id


def test_from_settings_tolerates_spaces_and_the_primary_among_old_keys(tmp_path: Path) -> None:
    primary, k1 = generate_key(), generate_key()
    ring = _keyring_from_settings(tmp_path, primary, f" {k1} , {primary},")
    assert [k.key for k in ring.retired] == [base64.b64decode(k1)]


def test_from_settings_without_old_keys(tmp_path: Path) -> None:
    ring = _keyring_from_settings(tmp_path, generate_key())
    assert ring.retired == ()
    assert ring.keys == (ring.primary,)


def test_a_malformed_old_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    bad = base64.b64encode(b"short secret").decode()
    with pytest.raises(SettingsError, match="ENCRYPTION_OLD_KEYS") as caught:
        _keyring_from_settings(tmp_path, generate_key(), f"{generate_key()},{bad}")
    assert bad not in str(caught.value)


# --- generate_key -------------------------------------------------------------------


def test_generate_key_makes_distinct_valid_master_keys() -> None:
    keys = [generate_key() for _ in range(200)]
    assert len(set(keys)) == len(keys)
    for key in keys:
        decoded = decode_master_key(key)
        assert len(decoded) == 32
        assert base64.b64encode(decoded).decode() == key  # standard base64, padded
        MasterKey(decoded)


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(bytes(32)).decode(),  # all zero
        base64.b64encode(bytes(range(31))).decode(),
        base64.b64encode(bytes(range(33))).decode(),
        "not base64 at all",
        "",
    ],
    ids=["zero", "31 bytes", "33 bytes", "garbage", "empty"],
)
def test_decode_master_key_refuses_bad_keys(value: str) -> None:
    with pytest.raises(ValueError, match="must"):
        decode_master_key(value)
