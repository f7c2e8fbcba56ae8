"""The audit log of security-relevant actions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from location_ops.db import Base, UTCDateTime


class AuditEvent(Base):
    """Who did what to which object, when and from where. Ids and codes only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(48))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None]
    address: Mapped[str | None] = mapped_column(String(64))


class ErasureRequest(Base):
    """A worker's erasure (GDPR Art. 17): asked by her or started by an operator, done on confirmation.

    Once done (``erased_at``), the row stays as the record that her account is now an
    anonymous key for the bookkeeping kept under it; it holds ids and times only.
    """

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
