"""What a trace or an error report may keep of a request: the names of its query
parameters and headers, never the values a client typed or the credentials it sent; and
no value of a sensitive key (`shre.observability.sensitive`) at any depth."""

from __future__ import annotations

import re
from typing import Any

from shre.observability.sensitive import REDACTED, SENSITIVE_KEYS

# A header is a credential when its name says so (Authorization, Cookie, X-CSRF-Token,
# X-Api-Key, a proxy's or a vendor's own token header).
_SECRET_HEADER = re.compile(r"auth|cookie|token|secret|csrf|xsrf|session|api-?key|password", re.I)
# A parameter's name is kept when it looks like one of the API's; anything else a client
# put there may be a value.
_PARAMETER_NAME = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,64}$")


def is_secret_header(name: str) -> bool:
    return bool(_SECRET_HEADER.search(name))


def hide_query_values(query: str) -> str:
    """`q=Ada&page=2` as `q=[redacted]&page=[redacted]`: which parameters were given,
    never what they held (a search may be a name, `ssn=` a national ID)."""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name, given, _ = pair.partition("=")
        if not _PARAMETER_NAME.match(name):
            name = REDACTED
        kept.append(f"{name}={REDACTED}" if given else name)
    return "&".join(kept)


def hide_url_query(url: str) -> str:
    """The URL with its query's values hidden (and any fragment left out)."""
    base, _, query = url.partition("#")[0].partition("?")
    return f"{base}?{hide_query_values(query)}" if query else base


def scrub(value: Any) -> Any:
    """`value` with the value of every sensitive key replaced, in dicts and lists at any
    depth (dicts are changed in place, as the error reporter hands them over)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key.lower() in SENSITIVE_KEYS:
                value[key] = REDACTED
            else:
                value[key] = scrub(item)
        return value
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value
