"""Field values: AES-256-GCM under a data key, bound to table, column and row.

The token layout is the documented contract (envelope.py), written out here:
version (1) | data key id (4) | nonce (12) | ciphertext (n) | tag (16), base64.
"""

from __future__ import annotations

import base64
import decimal
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shre.crypto import (
    CryptoError,
    DataKey,
    DecryptionFailed,
    FieldBox,
    FieldContext,
    MalformedCiphertext,
    UnknownKeyId,
)
from tests.support.crypto import box, context, exception_texts, flip, raw, token

VERSION, KEY_ID, NONCE, TAG = 1, 4, 12, 16
HEADER = VERSION + KEY_ID
OVERHEAD = HEADER + NONCE + TAG

BOX = box()
CTX = context()

# Any text, including NUL, astral characters and long values (up to ~100 kB of UTF-8).
texts = st.text() | st.tuples(st.text(min_size=1, max_size=8), st.integers(1, 12_000)).map(
    lambda pair: pair[0] * pair[1]
)
finite_decimals = st.decimals(allow_nan=False, allow_infinity=False) | st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
    st.integers(0, 1),
    st.lists(st.integers(0, 9), min_size=1, max_size=60),
    # Well inside the decimal module's exponent limits (near them, construction fails).
    st.integers(-999_999_999_999_999, 999_999_999_999_999),
)
contexts = st.builds(
    FieldContext,
    table=st.text(max_size=12),
    column=st.text(max_size=12),
    row_id=st.uuids() | st.text(max_size=40),
)


# --- round trips --------------------------------------------------------------------


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=texts, where=contexts)
def test_any_text_round_trips(value: str, where: FieldContext) -> None:
    sealed = BOX.encrypt(value, where)
    assert BOX.decrypt(sealed, where) == value
    # The value is hidden: only its length shows, as the documented overhead.
    assert len(raw(sealed)) == OVERHEAD + len(value.encode("utf-8"))


EDGE_TEXTS = {
    "empty": "",
    "nul": "\x00",
    "embedded nuls": "a\x00b\x00",
    "emoji": "😀",
    "astral extremes": "\U0010ffff\U00010000",
    "accented name": "Zoë Ångström-Łukasiewicz 🌍",
    "unnormalised": "e\u0301 vs \u00e9",  # both forms come back as given
    "whitespace": " padded \n",
    "100k ascii": "x" * 100_000,
    "100kB two-byte": "é" * 50_000,
    "100kB four-byte": "😀" * 25_000,
}


@pytest.mark.parametrize("value", EDGE_TEXTS.values(), ids=EDGE_TEXTS.keys())
def test_edge_text_round_trips(value: str) -> None:
    assert BOX.decrypt(BOX.encrypt(value, CTX), CTX) == value


def test_text_that_is_not_unicode_scalar_values_is_refused() -> None:
    # A lone surrogate has no UTF-8 form: refused rather than sealed lossily.
    with pytest.raises(ValueError, match="surrogate"):
        BOX.encrypt("\ud800", CTX)


@given(value=finite_decimals)
def test_numbers_keep_exact_value_and_scale(value: Decimal) -> None:
    back = BOX.decrypt_number(BOX.encrypt_number(value, CTX), CTX)
    assert back.as_tuple() == value.as_tuple()  # sign, digits and exponent: the scale
    assert str(back) == str(value)


@pytest.mark.parametrize(
    "text",
    [
        "1000.50",
        "0",
        "0.00",
        "-0",
        "-0.00",
        "0E-8",
        "-1234.5600",
        "85000.00",
        "1E+2",
        "1E+999999999999999999",
        "-1E-999999999999999999",
        "1.000000000000000000000000000000000000000001",  # beyond the context's precision
        "123456789012345678901234567890123456789012345678901234567890",
    ],
)
def test_edge_numbers_keep_exact_value_and_scale(text: str) -> None:
    value = Decimal(text)
    sealed = BOX.encrypt_number(value, CTX)
    with decimal.localcontext(prec=3, Emax=10, Emin=-10):
        back = BOX.decrypt_number(sealed, CTX)  # the reader's context does not round it
    assert str(back) == text
    assert back.as_tuple() == value.as_tuple()


@pytest.mark.parametrize("text", ["NaN", "-NaN", "sNaN", "NaN123", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        BOX.encrypt_number(Decimal(text), CTX)


def test_a_text_that_is_not_a_number_is_refused_as_a_number() -> None:
    plaintext = "123-45-6789"
    sealed = BOX.encrypt(plaintext, CTX)
    with pytest.raises(DecryptionFailed) as caught:
        BOX.decrypt_number(sealed, CTX)
    assert plaintext not in exception_texts(caught.value)


# --- tampering ----------------------------------------------------------------------


def _expected_error(bit: int) -> type[CryptoError]:
    byte = bit // 8
    if byte < VERSION:
        return MalformedCiphertext
    if byte < HEADER:
        return UnknownKeyId
    return DecryptionFailed  # nonce, ciphertext or tag


@pytest.mark.parametrize("value", ["", "123-45-6789", "x" * 40])
def test_every_single_bit_flip_fails(value: str) -> None:
    sealed = BOX.encrypt(value, CTX)
    bits = len(raw(sealed)) * 8
    assert bits == (OVERHEAD + len(value)) * 8
    for bit in range(bits):
        with pytest.raises(_expected_error(bit)):
            BOX.decrypt(flip(sealed, bit), CTX)


@given(value=st.text(max_size=64), data=st.data())
def test_any_bit_flip_of_any_value_fails(value: str, data: st.DataObject) -> None:
    sealed = BOX.encrypt(value, CTX)
    bit = data.draw(st.integers(0, len(raw(sealed)) * 8 - 1), label="bit")
    with pytest.raises(CryptoError):
        BOX.decrypt(flip(sealed, bit), CTX)


@given(value=st.text(max_size=64), data=st.data())
def test_any_multi_byte_corruption_fails(value: str, data: st.DataObject) -> None:
    sealed = bytearray(raw(BOX.encrypt(value, CTX)))
    positions = data.draw(st.sets(st.integers(0, len(sealed) - 1), min_size=1), label="at")
    for at in positions:
        sealed[at] ^= data.draw(st.integers(1, 255), label=f"xor@{at}")
    with pytest.raises(CryptoError):
        BOX.decrypt(token(bytes(sealed)), CTX)


@pytest.mark.parametrize(
    "value", ["", "123-45-6789", "Zoë 🌍" * 10], ids=["empty", "ssn", "unicode"]
)
def test_truncation_at_every_length_fails(value: str) -> None:
    sealed = BOX.encrypt(value, CTX)
    data = raw(sealed)
    for length in range(len(data)):
        expected = MalformedCiphertext if length < OVERHEAD else DecryptionFailed
        with pytest.raises(expected):
            BOX.decrypt(token(data[:length]), CTX)
    for length in range(len(sealed)):  # cut in the base64 text too
        with pytest.raises(CryptoError):
            BOX.decrypt(sealed[:length], CTX)


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@pytest.mark.parametrize("value", ["", "abcd", "12345"], ids=["no padding", "two =", "one ="])
def test_any_changed_character_of_the_text_fails_or_changes_nothing(value: str) -> None:
    # Base64 is not canonical: the unused low bits before "=" are ignored, so a few other
    # spellings of a token exist. They must decode to the very same value, never another.
    sealed = BOX.encrypt(value, CTX)
    for at, original in enumerate(sealed):
        for replacement in B64 + "=":
            if replacement == original:
                continue
            changed = sealed[:at] + replacement + sealed[at + 1 :]
            try:
                opened = BOX.decrypt(changed, CTX)
            except CryptoError:
                continue
            assert opened == value
            assert raw(changed) == raw(sealed)


@given(value=st.text(max_size=64), extra=st.binary(min_size=1, max_size=64))
def test_appended_bytes_fail(value: str, extra: bytes) -> None:
    sealed = BOX.encrypt(value, CTX)
    with pytest.raises(DecryptionFailed):
        BOX.decrypt(token(raw(sealed) + extra), CTX)


def test_two_tokens_joined_fail() -> None:
    first, second = BOX.encrypt("a", CTX), BOX.encrypt("b", CTX)
    with pytest.raises(DecryptionFailed):
        BOX.decrypt(token(raw(first) + raw(second)), CTX)
    with pytest.raises(CryptoError):
        BOX.decrypt(first + second, CTX)


def test_the_tag_or_nonce_of_another_token_does_not_fit() -> None:
    first, second = raw(BOX.encrypt("same", CTX)), raw(BOX.encrypt("same", CTX))
    swapped_tag = first[:-TAG] + second[-TAG:]
    swapped_nonce = first[:HEADER] + second[HEADER : HEADER + NONCE] + first[HEADER + NONCE :]
    for forged in (swapped_tag, swapped_nonce):
        with pytest.raises(DecryptionFailed):
            BOX.decrypt(token(forged), CTX)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not base64!",
        "====",
        "QUJD=",  # bad padding
        "QUJ",  # missing padding
        "é" * 48,
        "\x00" * 48,
        "A" * 47,
        "QUJD\nREVG",  # a line break inside
    ],
    ids=[
        "empty",
        "punctuation",
        "only padding",
        "bad padding",
        "no padding",
        "non-ascii",
        "nuls",
        "short",
        "line break",
    ],
)
def test_non_base64_or_short_input_is_malformed(garbage: str) -> None:
    with pytest.raises(MalformedCiphertext):
        BOX.decrypt(garbage, CTX)


def test_base64_variants_and_whitespace_are_malformed() -> None:
    sealed = next(t for t in iter(lambda: BOX.encrypt("v", CTX), None) if "+" in t or "/" in t)
    urlsafe = sealed.replace("+", "-").replace("/", "_")
    for variant in (urlsafe, sealed + "\n", " " + sealed, sealed.rstrip("=") + "!"):
        with pytest.raises(MalformedCiphertext):
            BOX.decrypt(variant, CTX)


@given(garbage=st.text())
def test_arbitrary_text_never_decrypts(garbage: str) -> None:
    with pytest.raises(CryptoError):
        BOX.decrypt(garbage, CTX)


@given(body=st.binary(min_size=NONCE + TAG, max_size=200))
def test_forged_tokens_with_the_right_header_never_decrypt(body: bytes) -> None:
    forged = bytes([VERSION]) + BOX.key_id + body
    with pytest.raises(DecryptionFailed):
        BOX.decrypt(token(forged), CTX)


@pytest.mark.parametrize("version", [0x00, 0x02, 0x7F, 0xFF])
def test_unknown_versions_are_malformed(version: int) -> None:
    data = raw(BOX.encrypt("v", CTX))
    with pytest.raises(MalformedCiphertext):
        BOX.decrypt(token(bytes([version]) + data[1:]), CTX)


# --- binding to the table, column, row and owner ------------------------------------


@given(value=st.text(max_size=32), here=contexts, there=contexts)
def test_a_value_does_not_open_in_another_context(
    value: str, here: FieldContext, there: FieldContext
) -> None:
    assume(
        (here.table, here.column, str(here.row_id))
        != (there.table, there.column, str(there.row_id))
    )
    with pytest.raises(DecryptionFailed):
        BOX.decrypt(BOX.encrypt(value, here), there)


@pytest.mark.parametrize(
    "other",
    [
        FieldContext("users", "ssn_enc", "row"),
        FieldContext("employees", "bank_account_enc", "row"),
        FieldContext("employees", "ssn_enc", "row2"),
        FieldContext("employees", "ssn_enc", "ROW"),
        # Length-prefixed parts: moving characters between parts is another context.
        FieldContext("employeesssn_enc", "", "row"),
        FieldContext("employees", "ssn_encrow", ""),
        FieldContext("employee", "sssn_enc", "row"),
    ],
    ids=[
        "table",
        "column",
        "row",
        "row case",
        "column into table",
        "row into column",
        "boundary shifted",
    ],
)
def test_moved_values_fail(other: FieldContext) -> None:
    sealed = BOX.encrypt("123-45-6789", FieldContext("employees", "ssn_enc", "row"))
    with pytest.raises(DecryptionFailed):
        BOX.decrypt(sealed, other)


def test_another_row_of_the_same_owner_fails() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    sealed = BOX.encrypt("85000.00", context("salary_enc", first))
    with pytest.raises(DecryptionFailed):
        BOX.decrypt(sealed, context("salary_enc", second))


def test_a_uuid_row_id_and_its_canonical_text_are_the_same_row() -> None:
    row = uuid.uuid4()
    sealed = BOX.encrypt("v", context(row_id=row))
    assert BOX.decrypt(sealed, context(row_id=str(row))) == "v"
    with pytest.raises(DecryptionFailed):  # a non-canonical spelling is another row
        BOX.decrypt(sealed, context(row_id=str(row).upper()))


def test_a_value_of_another_employee_names_an_unknown_data_key() -> None:
    mine, theirs = box(), box()
    assert mine.key_id != theirs.key_id
    with pytest.raises(UnknownKeyId) as caught:
        mine.decrypt(theirs.encrypt("123-45-6789", CTX), CTX)
    assert "123-45-6789" not in exception_texts(caught.value)


def test_a_forged_data_key_id_still_fails_authentication() -> None:
    mine = DataKey.generate()
    impostor = FieldBox(DataKey(DataKey.generate().key, mine.id))  # other key, same id
    sealed = FieldBox(mine).encrypt("123-45-6789", CTX)
    with pytest.raises(DecryptionFailed):
        impostor.decrypt(sealed, CTX)
    # and the other way round: the impostor's values do not open under the real key
    with pytest.raises(DecryptionFailed):
        FieldBox(mine).decrypt(impostor.encrypt("123-45-6789", CTX), CTX)


def test_the_same_data_key_in_a_new_box_opens_the_value() -> None:
    dek = DataKey.generate()
    sealed = FieldBox(dek).encrypt("v", CTX)
    assert FieldBox(DataKey(bytes(dek.key), bytes(dek.id))).decrypt(sealed, CTX) == "v"


# --- randomness ---------------------------------------------------------------------


def test_ten_thousand_encryptions_of_one_value_are_all_distinct() -> None:
    tokens = [BOX.encrypt("85000.00", CTX) for _ in range(10_000)]
    assert len(set(tokens)) == len(tokens)
    nonces = {raw(t)[HEADER : HEADER + NONCE] for t in tokens}
    assert len(nonces) == len(tokens)
    assert all(BOX.decrypt(t, CTX) == "85000.00" for t in tokens[:100])


def test_equal_values_in_different_rows_do_not_look_alike() -> None:
    sealed = {BOX.encrypt("123-45-6789", context()) for _ in range(100)}
    assert len(sealed) == 100


# --- error messages -----------------------------------------------------------------

SECRET = "123-45-6789 Zoë 85000.00"


def _failing_decryptions() -> dict[str, tuple[FieldBox, str, FieldContext]]:
    sealed = BOX.encrypt(SECRET, CTX)
    return {
        "tampered": (BOX, flip(sealed, 8 * (HEADER + NONCE)), CTX),
        "truncated": (BOX, token(raw(sealed)[:-1]), CTX),
        "moved": (BOX, sealed, context()),
        "other owner": (box(), sealed, CTX),
        "version": (BOX, flip(sealed, 0), CTX),
    }


@pytest.mark.parametrize("case", ["tampered", "truncated", "moved", "other owner", "version"])
def test_error_messages_never_contain_the_plaintext(case: str) -> None:
    owner, sealed, where = _failing_decryptions()[case]
    with pytest.raises(CryptoError) as caught:
        owner.decrypt(sealed, where)
    texts = exception_texts(caught.value)
    for part in SECRET.split():
        assert part not in texts


def test_tokens_are_standard_base64_with_padding() -> None:
    sealed = BOX.encrypt("x" * 10, CTX)
    assert base64.b64encode(base64.b64decode(sealed)).decode() == sealed
    assert raw(sealed)[0] == VERSION
    assert raw(sealed)[1:HEADER] == BOX.key_id
