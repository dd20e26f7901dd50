"""Blind indexes: exact-match lookup of national IDs without decrypting anything."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shre.crypto import BlindIndexer, Keyring, MasterKey, normalise_national_id, sha256_hex
from tests.support.crypto import key_renderings, keyring, master_key

INDEX_FORMAT = re.compile(r"[0-9a-f]{8}:[0-9a-f]{32}")
SEPARATORS = " -./\t\u00a0\u2013_"

national_ids = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=20)


# --- normalisation ------------------------------------------------------------------


def test_separators_and_spaces_do_not_matter() -> None:
    assert normalise_national_id("123-45-6789") == "123456789"
    assert normalise_national_id("123 45 6789") == "123456789"
    assert normalise_national_id(" 123.45/6789\n") == "123456789"


def test_letters_are_uppercased_and_kept() -> None:
    assert normalise_national_id("ab 12 34 56 c") == "AB123456C"
    assert normalise_national_id("AB123456C") == "AB123456C"
    assert normalise_national_id("x-12") != normalise_national_id("12")


def test_compatibility_forms_fold_to_ascii() -> None:
    full_width = "\uff11\uff12\uff13-\uff14\uff15-\uff16\uff17\uff18\uff19"
    assert normalise_national_id(full_width) == "123456789"
    assert normalise_national_id("\uff41\uff42\uff11") == "AB1"  # full-width letters


@given(value=st.text())
def test_normalisation_is_idempotent_and_ascii_alphanumeric(value: str) -> None:
    once = normalise_national_id(value)
    assert normalise_national_id(once) == once
    assert re.fullmatch(r"[0-9A-Z]*", once)


@given(value=national_ids, data=st.data())
def test_separators_and_case_anywhere_do_not_change_the_id(value: str, data: st.DataObject) -> None:
    spelled = ""
    for ch in value:
        spelled += data.draw(st.text(alphabet=SEPARATORS, max_size=2), label="sep")
        spelled += ch.lower() if data.draw(st.booleans(), label="lower") else ch
    assert normalise_national_id(spelled) == value


# --- the index ----------------------------------------------------------------------

RING = keyring(master_key())  # a primary and one retired key
SSN = BlindIndexer(RING, "employees.ssn")


@given(value=national_ids)
def test_the_index_is_deterministic_and_well_formed(value: str) -> None:
    index = SSN.index(value)
    assert INDEX_FORMAT.fullmatch(index)
    assert index.split(":")[0] == RING.primary.hex_id
    assert SSN.index(value) == index
    # Another indexer over the same key material agrees: it can be stored and searched.
    same = Keyring(MasterKey(bytes(RING.primary.key)))
    assert BlindIndexer(same, "employees.ssn").index(value) == index


@given(a=national_ids, b=national_ids)
def test_different_ids_have_different_indexes(a: str, b: str) -> None:
    assume(a != b)
    assert SSN.index(a) != SSN.index(b)


def test_the_index_depends_on_the_purpose_and_the_master_key() -> None:
    value = "123456789"
    other_purpose = BlindIndexer(RING, "employees.bank_account")
    other_key = BlindIndexer(keyring(), "employees.ssn")
    assert SSN.index(value).split(":")[1] != other_purpose.index(value).split(":")[1]
    assert SSN.index(value).split(":")[1] != other_key.index(value).split(":")[1]


def test_the_index_reveals_neither_the_value_nor_the_key() -> None:
    value = normalise_national_id("123-45-6789")
    index = SSN.index(value)
    assert value not in index
    for form in key_renderings(RING.primary.key):
        assert form not in index
    # Not an unkeyed hash of the value, nor an HMAC straight under the master key.
    digest = index.split(":")[1]
    assert digest not in hashlib.sha256(value.encode()).hexdigest()
    assert digest not in hmac.new(RING.primary.key, value.encode(), "sha256").hexdigest()


@given(value=national_ids)
def test_candidates_cover_the_primary_and_every_retired_key(value: str) -> None:
    candidates = SSN.candidates(value)
    assert candidates[0] == SSN.index(value)
    assert len(candidates) == len(set(candidates)) == len(RING.keys)
    assert all(INDEX_FORMAT.fullmatch(c) for c in candidates)
    assert {c.split(":")[0] for c in candidates} == {k.hex_id for k in RING.keys}
    for key in RING.retired:  # what an indexer with that key as primary stored
        assert BlindIndexer(Keyring(key), "employees.ssn").index(value) in candidates


def test_an_index_made_before_a_rotation_is_still_found() -> None:
    old, new = master_key(), master_key()
    value = normalise_national_id("123-45-6789")
    stored = BlindIndexer(Keyring(old), "employees.ssn").index(value)
    during = BlindIndexer(Keyring(new, (old,)), "employees.ssn")
    assert stored in during.candidates(value)
    assert during.index(value) != stored  # new rows are indexed under the new key
    assert during.index(value) in during.candidates(value)
    # Once the old key is dropped the old index is no longer a candidate (re-index first).
    after = BlindIndexer(Keyring(new), "employees.ssn")
    assert stored not in after.candidates(value)
    assert not set(during.candidates("987654321")) & {stored}


def test_a_retired_key_equal_to_the_primary_gives_one_candidate() -> None:
    primary = master_key()
    indexer = BlindIndexer(Keyring(primary, (MasterKey(primary.key),)), "employees.ssn")
    assert indexer.candidates("1") == [indexer.index("1")]


@pytest.mark.parametrize(
    ("text", "digest"),
    [  # FIPS 180-2 / NIST examples
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ],
)
def test_sha256_hex_matches_published_digests(text: str, digest: str) -> None:
    assert sha256_hex(text) == digest
