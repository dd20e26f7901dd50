"""Access tokens (signed JWT) and refresh tokens (random, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "shre"
AUDIENCE = "shre-api"
ACCESS_TYPE = "access"


class InvalidToken(Exception):
    """The token is malformed, forged, expired or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    # The sign-in session (the refresh-token family) the token was issued to: logging
    # out of it ends the token too.
    session_id: uuid.UUID
    # The account's token epoch when issued: a password change or deactivation raises
    # it, which ends every older token (a counter: no clock resolution to fall through).
    epoch: int
    expires_at: datetime


# Access tokens whose signature and claims this process has checked, with their expiry:
# a token is used for many requests, and checking it again costs more than the rest of a
# cached read. Only the expiry can change a verified token's answer.
VERIFIED_TOKENS = 10_000


class TokenCodec:
    def __init__(self, secret: str, access_ttl: timedelta) -> None:
        self._secret = secret
        self.access_ttl = access_ttl
        self._verified: dict[str, tuple[float, AccessClaims]] = {}

    def issue_access(
        self, user_id: uuid.UUID, now: datetime, *, session_id: uuid.UUID, epoch: int
    ) -> str:
        payload = {
            "sub": str(user_id),
            "sid": str(session_id),
            "ep": epoch,
            "type": ACCESS_TYPE,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int((now + self.access_ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def decode_access(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            if known[0] > time.time():
                return known[1]
            del self._verified[token]
            raise InvalidToken("token expired")
        claims = self._decode_access(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (claims.expires_at.timestamp(), claims)
        return claims

    def _decode_access(self, token: str) -> AccessClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                # A token without a session or epoch (issued before they existed) is
                # refused: its holder refreshes, which checks the session in the database.
                options={"require": ["exp", "iat", "sub", "sid", "ep", "type", "iss", "aud"]},
            )
            if payload.get("type") != ACCESS_TYPE:
                raise InvalidToken("not an access token")
            epoch = payload["ep"]
            if type(epoch) is not int or epoch < 0:
                raise InvalidToken("invalid token")
            return AccessClaims(
                user_id=uuid.UUID(str(payload["sub"])),
                session_id=uuid.UUID(str(payload["sid"])),
                epoch=epoch,
                expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
            raise InvalidToken("invalid token") from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(48)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
