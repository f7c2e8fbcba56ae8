"""Users, their sessions and bearer tokens, and login attempts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from location_ops.db import Base, UTCDateTime
from location_ops.i18n import lazy


class Role(StrEnum):
    OPERATOR = "operator"
    HOST = "host"
    WORKER = "worker"
    CASEWORKER = "caseworker"
    SECURITY = "security"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.OPERATOR: lazy("Operator"),
    Role.HOST: lazy("Host"),
    Role.WORKER: lazy("Worker"),
    Role.CASEWORKER: lazy("Caseworker"),
    Role.SECURITY: lazy("Security"),
}

#: Roles that must use a second factor (DESIGN: operators; hosts may).
MFA_REQUIRED = frozenset({Role.OPERATOR})


class User(Base):
    """An account. For a worker the username is a pseudonym (work name), nothing more."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    #: Lower-cased username: unique, so "Roos" and "roos" cannot both exist.
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, create_constraint=False,
             values_callable=lambda roles: [role.value for role in roles])
    )
    language: Mapped[str | None] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(String(255))
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The TOTP time step of the last code accepted: a code works once, not again within its window.
    mfa_last_step: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuthSession(Base):
    """A browser session (cookie) or an API bearer token; only its hash is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # "web" or "api"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    #: False between a correct password and a correct one-time code.
    mfa_passed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    """A failed login, kept for the rate limit's window only."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_key_at", "username_key", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
