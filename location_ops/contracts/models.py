"""Contracts with workers, versioned house rules and their acceptance, recorded payments."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from location_ops.db import Base, UTCDateTime
from location_ops.i18n import lazy


class ContractStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return CONTRACT_STATUS_LABELS[self]

    def action_from(self, current: ContractStatus) -> str:
        """The button that moves a contract from ``current`` to this status names what it does."""
        if self == ContractStatus.ACTIVE:
            return lazy("Resume contract") if current == ContractStatus.SUSPENDED else lazy("Activate contract")
        return {ContractStatus.SUSPENDED: lazy("Suspend contract"), ContractStatus.ENDED: lazy("End contract"),
                ContractStatus.DRAFT: lazy("Back to draft")}[self]


CONTRACT_STATUS_LABELS = {
    ContractStatus.DRAFT: lazy("draft"),
    ContractStatus.ACTIVE: lazy("active"),
    ContractStatus.SUSPENDED: lazy("suspended"),
    ContractStatus.ENDED: lazy("ended"),
}

#: Allowed moves: draft → active → suspended / ended; suspended → active / ended.
TRANSITIONS = {
    ContractStatus.DRAFT: {ContractStatus.ACTIVE, ContractStatus.ENDED},
    ContractStatus.ACTIVE: {ContractStatus.SUSPENDED, ContractStatus.ENDED},
    ContractStatus.SUSPENDED: {ContractStatus.ACTIVE, ContractStatus.ENDED},
    ContractStatus.ENDED: set(),
}


class PaymentMethod(StrEnum):
    CASH = "cash"
    BANK = "bank"

    @property
    def label(self) -> str:
        return {PaymentMethod.CASH: lazy("cash"), PaymentMethod.BANK: lazy("bank")}[self]


def _enum(kind):
    return Enum(kind, native_enum=False, length=16, create_constraint=False,
                values_callable=lambda members: [member.value for member in members])


class Contract(Base):
    """A rental contract with a worker (a pseudonym): dates, charges, notice period."""

    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
        CheckConstraint("late_cancel_percent BETWEEN 0 AND 100", name="late_cancel_percent"),
        CheckConstraint("no_show_percent BETWEEN 0 AND 100", name="no_show_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[ContractStatus] = mapped_column(_enum(ContractStatus), default=ContractStatus.DRAFT)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    #: Share of the shift price charged for a cancellation after the deadline.
    late_cancel_percent: Mapped[int] = mapped_column(Integer, default=50)
    #: Share of the shift price charged for a no-show.
    no_show_percent: Mapped[int] = mapped_column(Integer, default=100)
    notice_days: Mapped[int] = mapped_column(Integer, default=14)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class HouseRules(Base):
    """One version of the house rules; the newest is the one workers must accept."""

    __tablename__ = "house_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class HouseRulesAcceptance(Base):
    """A worker accepted a version of the house rules at a time."""

    __tablename__ = "house_rules_acceptances"
    __table_args__ = (UniqueConstraint("worker_id", "version", name="uq_house_rules_acceptances_worker_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    accepted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Payment(Base):
    """Rent paid by a worker, recorded by an operator: amount, cash or bank, when, by whom."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod))
    paid_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
