"""Checklist templates (versioned), rounds and their item results, supply needs, hygiene holds."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from location_ops.db import Base, UTCDateTime
from location_ops.i18n import lazy


def _enum(kind):
    return Enum(kind, native_enum=False, length=16, create_constraint=False,
                values_callable=lambda members: [member.value for member in members])


class RoundKind(StrEnum):
    TURNOVER = "turnover"
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def label(self) -> str:
        return {RoundKind.TURNOVER: lazy("Turnover after a shift"), RoundKind.DAILY: lazy("Daily round"),
                RoundKind.WEEKLY: lazy("Weekly deep clean")}[self]


class RoundStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return {RoundStatus.PENDING: lazy("to do"), RoundStatus.IN_PROGRESS: lazy("in progress"),
                RoundStatus.PAUSED: lazy("paused"), RoundStatus.COMPLETED: lazy("done")}[self]

    @property
    def is_open(self) -> bool:
        return self is not RoundStatus.COMPLETED


class ItemResult(StrEnum):
    OK = "ok"
    FAILED = "failed"


class ChecklistTemplate(Base):
    """One version of the checklist for a kind of round. Rounds point at the version they used."""

    __tablename__ = "hygiene_templates"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_hygiene_templates_kind_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RoundKind] = mapped_column(_enum(RoundKind))
    version: Mapped[int] = mapped_column(Integer)
    #: The version new rounds use; exactly one per kind.
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list[ChecklistItem]] = relationship(order_by="ChecklistItem.position", lazy="selectin")


class ChecklistItem(Base):
    """An item of a template version; its texts are data the operator edits, per language."""

    __tablename__ = "hygiene_template_items"
    __table_args__ = (UniqueConstraint("template_id", "key", name="uq_hygiene_template_items_template_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("hygiene_templates.id", ondelete="CASCADE"), index=True)
    #: Stable across versions ("linen", "condoms"): the shopping list groups by it.
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    text_nl: Mapped[str] = mapped_column(String(200))
    text_en: Mapped[str] = mapped_column(String(200))
    #: A supply that can be marked as running low during a round.
    supply: Mapped[bool] = mapped_column(Boolean, default=False)

    def text(self, language: str) -> str:
        """The text in this language, else in the other one."""
        if language == "nl":
            return self.text_nl or self.text_en
        return self.text_en or self.text_nl


class HygieneRound(Base):
    """A round of one room against one template version: pending → in progress ⇄ paused → completed.

    Who did it is a role and, for staff, a user id; a worker doing their own room is recorded
    as the role only (privacy first: no worker id in the hygiene record).
    """

    __tablename__ = "hygiene_rounds"
    __table_args__ = (
        Index("ix_hygiene_rounds_room_id_created_at", "room_id", "created_at"),
        Index("ix_hygiene_rounds_completed_at", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    kind: Mapped[RoundKind] = mapped_column(_enum(RoundKind))
    template_id: Mapped[int] = mapped_column(ForeignKey("hygiene_templates.id", ondelete="RESTRICT"))
    status: Mapped[RoundStatus] = mapped_column(_enum(RoundStatus), default=RoundStatus.PENDING)
    #: "checkout" (started by a check-out) or "manual".
    reason: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by_role: Mapped[str | None] = mapped_column(String(16))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    template: Mapped[ChecklistTemplate] = relationship(lazy="joined")
    results: Mapped[list[RoundResult]] = relationship(lazy="selectin", order_by="RoundResult.id")


class RoundResult(Base):
    """The answer to one item of a round. A failed item carries a note."""

    __tablename__ = "hygiene_round_results"
    __table_args__ = (UniqueConstraint("round_id", "item_id", name="uq_hygiene_round_results_round_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("hygiene_rounds.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("hygiene_template_items.id", ondelete="RESTRICT"))
    result: Mapped[ItemResult] = mapped_column(_enum(ItemResult))
    note: Mapped[str] = mapped_column(Text, default="")
    low_stock: Mapped[bool] = mapped_column(Boolean, default=False)
    out_of_service: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    by_role: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SupplyNeed(Base):
    """A supply marked low in a room during a round; on the shopping list until restocked."""

    __tablename__ = "hygiene_supply_needs"
    __table_args__ = (Index("ix_hygiene_supply_needs_restocked_at", "restocked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int] = mapped_column(ForeignKey("hygiene_template_items.id", ondelete="RESTRICT"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("hygiene_rounds.id", ondelete="SET NULL"))
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    restocked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    restocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    item: Mapped[ChecklistItem] = relationship(lazy="joined")


class HygieneHold(Base):
    """A room put out of service by a failed item; it stays out until staff clear the hold."""

    __tablename__ = "hygiene_holds"
    __table_args__ = (Index("ix_hygiene_holds_room_id_cleared_at", "room_id", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("hygiene_rounds.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("hygiene_template_items.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    item: Mapped[ChecklistItem] = relationship(lazy="joined")
