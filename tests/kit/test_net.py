"""Client addresses: only a valid IP address is kept, in one canonical form."""

from __future__ import annotations

import pytest

from shre.kit.net import UNKNOWN_CLIENT, client_ip, throttle_key


@pytest.mark.parametrize(
    ("host", "kept"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:0db8:0:0::1", "2001:db8::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4-mapped: the IPv4 address
        ("fe80::1%eth0", "fe80::1"),  # a zone is free text: left out
        ("fe80::1%<script>", "fe80::1"),
        ("<script>alert(1)</script>", None),
        ("203.0.113.7, 198.51.100.1", None),
        ("203.0.113.7:8080", None),
        ("[::1]", None),
        (" 203.0.113.7", None),
        ("unknown", None),
        ("", None),
        ("x" * 10_000, None),
    ],
)
def test_only_a_valid_address_is_kept(host: str, kept: str | None) -> None:
    assert client_ip((host, 1234)) == kept
    assert throttle_key((host, 1234)) == (kept or UNKNOWN_CLIENT)


def test_no_client_is_unknown() -> None:
    assert client_ip(None) is None
    assert throttle_key(None) == UNKNOWN_CLIENT
    assert client_ip((None, 0)) is None
