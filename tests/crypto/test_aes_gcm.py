"""The AES-256-GCM primitive under every sealed value, against published vectors."""

from __future__ import annotations

import pytest

from shre.crypto import DecryptionFailed
from shre.crypto.envelope import seal, unseal

TAG = 16

# (key, iv, plaintext, aad, ciphertext, tag), hex. Test cases 13-16 of McGrew &
# Viega, "The Galois/Counter Mode of Operation (GCM)" (AES-256, 96-bit IV), and two
# entries of NIST CAVP gcmEncryptExtIV256.rsp ([IVlen = 96], [Taglen = 128]).
_K15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
_P15 = (
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
)
_C15 = (
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
)
KATS = [
    pytest.param("00" * 32, "00" * 12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b", id="gcm-13"),
    pytest.param(
        "00" * 32,
        "00" * 12,
        "00" * 16,
        "",
        "cea7403d4d606b6e074ec5d3baf39d18",
        "d0d1c8a799996bf0265b98b5d48ab919",
        id="gcm-14",
    ),
    pytest.param(
        _K15,
        "cafebabefacedbaddecaf888",
        _P15,
        "",
        _C15,
        "b094dac5d93471bdec1a502270e3cc6c",
        id="gcm-15",
    ),
    pytest.param(
        _K15,
        "cafebabefacedbaddecaf888",
        _P15[:120],
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        _C15[:120],
        "76fc6ece0f4e1768cddf8853bb2d551b",
        id="gcm-16",
    ),
    pytest.param(
        "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4",
        "516c33929df5a3284ff463d7",
        "",
        "",
        "",
        "bdc1ac884d332457a1d2664f168c76f0",
        id="cavp-256-pt0-aad0",
    ),
    pytest.param(
        "92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b",
        "ac93a1a6145299bde902f21a",
        "2d71bcfa914e4ac045b2aa60955fad24",
        "1e0889016f67601c8ebea4943bc23ad6",
        "8995ae2e6df3dbf96fac7b7137bae67f",
        "eca5aa77d51d4a0a14d9c51e1da474ab",
        id="cavp-256-pt128-aad128",
    ),
]


@pytest.mark.parametrize(("key", "iv", "pt", "aad", "ct", "tag"), KATS)
def test_known_answer_vectors(key: str, iv: str, pt: str, aad: str, ct: str, tag: str) -> None:
    k, n, p, a = bytes.fromhex(key), bytes.fromhex(iv), bytes.fromhex(pt), bytes.fromhex(aad)
    expected = bytes.fromhex(ct + tag)
    assert seal(k, n, p, a) == expected
    assert unseal(k, n, expected, a) == p
    for bit in range(TAG * 8):  # every bit of the tag
        tampered = bytearray(expected)
        tampered[len(expected) - TAG + bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(DecryptionFailed):
            unseal(k, n, bytes(tampered), a)
    with pytest.raises(DecryptionFailed):
        unseal(k, n, expected, a + b"\x00")


@pytest.mark.parametrize(
    ("key_len", "nonce_len"), [(16, 12), (24, 12), (31, 12), (32, 8), (32, 16)]
)
def test_seal_takes_only_a_256_bit_key_and_a_96_bit_nonce(key_len: int, nonce_len: int) -> None:
    with pytest.raises(ValueError, match="32-byte key"):
        seal(bytes(key_len), bytes(nonce_len), b"x", b"")
