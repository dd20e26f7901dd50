from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shre.kit.text import Email

TokenString = Annotated[str, Field(min_length=16, max_length=512)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    # false: a browser's sign-in; the refresh token goes only into the HttpOnly cookie,
    # where no script can read it (the body's refresh_token is null).
    refresh_token_in_body: bool = True


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Left out (or no body at all): the refresh-token cookie is used.
    refresh_token: TokenString | None = None

    @field_validator("refresh_token", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null (leave it out to use the cookie)")
        return value


class TokenOut(BaseModel):
    access_token: str
    # null when the refresh token went only into the cookie (a browser's sign-in, or a
    # refresh by cookie): a script must never read it.
    refresh_token: str | None
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int
