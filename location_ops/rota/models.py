"""The caseworkers' visiting rota, their profiles, talk requests and announcements."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, Enum, ForeignKey, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from location_ops.accounts.models import User
from location_ops.db import Base, UTCDateTime
from location_ops.i18n import lazy


class CaseworkerProfile(Base):
    """What workers see of a caseworker: the fixed face. Kept beside the users table, one per caseworker."""

    __tablename__ = "caseworker_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(64))
    introduction: Mapped[str] = mapped_column(Text, default="")
    #: Language codes, comma-separated ("nl,en,ro").
    languages: Mapped[str] = mapped_column(String(128), default="")
    organisation: Mapped[str] = mapped_column(String(128), default="")
    #: SHA-256 of the calendar feed's secret; None when no feed is issued (or it was revoked).
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def language_codes(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]


class Visit(Base):
    """A weekly recurring visit: every <weekday>, <start>–<end> local time (Europe/Amsterdam)."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint("ends_at > starts_at", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Monday is 0, as in ``date.weekday()``.
    weekday: Mapped[int]
    #: Local wall-clock times: 14:00 stays 14:00 on both sides of a DST change.
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    organisation: Mapped[str] = mapped_column(String(128), default="")
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    caseworker: Mapped[User] = relationship(lazy="joined")


class ChangeKind(StrEnum):
    CANCELLED = "cancelled"
    MOVED = "moved"
    EXTRA = "extra"

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self]


CHANGE_LABELS = {
    ChangeKind.CANCELLED: lazy("cancelled"),
    ChangeKind.MOVED: lazy("moved"),
    ChangeKind.EXTRA: lazy("extra visit"),
}


class VisitChange(Base):
    """An exception to a visit's recurrence, with a reason.

    ``on_date`` names the occurrence: the regular date that is cancelled or moved,
    or the date of an extra visit. A moved or extra visit has its own date and times.
    """

    __tablename__ = "visit_changes"
    __table_args__ = (UniqueConstraint("visit_id", "on_date", name="uq_visit_changes_visit_id_on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[ChangeKind] = mapped_column(
        Enum(ChangeKind, native_enum=False, length=16, create_constraint=False,
             values_callable=lambda kinds: [kind.value for kind in kinds])
    )
    new_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    new_starts_at: Mapped[dt.time | None] = mapped_column(Time)
    new_ends_at: Mapped[dt.time | None] = mapped_column(Time)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TalkRequest(Base):
    """A worker asks for a private talk at one visit. Seen by that worker and that caseworker only."""

    __tablename__ = "talk_requests"
    __table_args__ = (
        UniqueConstraint("worker_id", "visit_id", "on_date", name="uq_talk_requests_worker_id_visit_id_on_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    #: The occurrence of the visit (its ``on_date`` key, see VisitChange).
    on_date: Mapped[dt.date] = mapped_column(Date)
    #: Topic codes, comma-separated.
    topics: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    #: End of the visit it is for; the request is deleted a set time after it.
    visit_ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    worker: Mapped[User] = relationship(lazy="joined", foreign_keys=[worker_id])
    visit: Mapped[Visit] = relationship(lazy="joined")

    @property
    def topic_codes(self) -> list[str]:
        return [code for code in self.topics.split(",") if code]


class Announcement(Base):
    """News for workers from caseworkers and operators (an Easter lunch, a course)."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    #: Shown up to and including this local date; None: until removed.
    show_until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    author: Mapped[User | None] = relationship(lazy="joined")
