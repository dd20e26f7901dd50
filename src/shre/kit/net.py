"""The client's address as shre keeps it: a valid IP address or nothing.

Behind a trusted proxy (FORWARDED_ALLOW_IPS) uvicorn puts the X-Forwarded-For value in
the ASGI scope's `client` without checking it, so it can be any text a client sent
(`<script>…`). Everything that uses the address (the audit trail, the sign-in throttle,
the access log) reads it through `client_ip`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any, Final

# The throttle's bucket for every client without a valid address: one shared bucket,
# so sending garbage never buys a fresh allowance.
UNKNOWN_CLIENT: Final = "unknown"


def client_ip(client: Any) -> str | None:
    """The canonical form of the address in an ASGI `client` (host, port) pair, or None
    when there is none or it is not an IP address. One address has one form: IPv6
    compressed, an IPv4-mapped IPv6 address as IPv4, a zone (`%eth0`, free text) left
    out, so no spelling of an address is a different client."""
    if not client:
        return None
    host = client[0]
    return _canonical(host) if isinstance(host, str) else None


@lru_cache(maxsize=4096)
def _canonical(host: str) -> str | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Address(int(address)))  # without the zone
    return str(address)


def throttle_key(client: Any) -> str:
    """The per-address sign-in throttle's key: the address, or `UNKNOWN_CLIENT`."""
    return client_ip(client) or UNKNOWN_CLIENT
