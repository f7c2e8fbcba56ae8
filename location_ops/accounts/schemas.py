"""JSON shapes of the accounts API."""

from __future__ import annotations

import datetime as dt

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from location_ops.forms import Line
from location_ops.i18n import available_languages

from location_ops.accounts.models import Role


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Line = Field(max_length=64)
    password: Line = Field(max_length=1024)
    totp: Line | None = Field(default=None, max_length=16, description="One-time code, when MFA is on")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


#: The shortest password the default settings allow (``password_min_length``, checked again by the service).
PASSWORD_MIN_LENGTH = 10


#: A language the app ships a catalog for.
Language = Literal[tuple(available_languages())]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Line = Field(max_length=64)
    # The service refuses a short password with its sentence (and the location's own minimum).
    password: Line = Field(max_length=1024, json_schema_extra={"minLength": PASSWORD_MIN_LENGTH},
                          description="At least the location's password_min_length characters (10 by default).")
    role: Role
    language: Language | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    language: str | None
    mfa_enabled: bool
    active: bool
    created_at: dt.datetime
