"""Panic buttons (devices), alarms and the events of each alarm's life."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from location_ops.db import Base, UTCDateTime
from location_ops.i18n import lazy
from location_ops.rooms.models import Room


class AlarmState(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return {AlarmState.RAISED: lazy("Raised"), AlarmState.ACKNOWLEDGED: lazy("Acknowledged"),
                AlarmState.RESOLVED: lazy("Resolved")}[self]


class Resolution(StrEnum):
    HANDLED = "handled"
    FALSE_ALARM = "false_alarm"
    TEST = "test"

    @property
    def label(self) -> str:
        return {Resolution.HANDLED: lazy("Handled"), Resolution.FALSE_ALARM: lazy("False alarm"),
                Resolution.TEST: lazy("Test")}[self]


#: What each kind of alarm event is called on the screens (the kind itself is a code in the data and the API).
EVENT_LABELS = {
    "raised": lazy("Raised"), "press": lazy("Pressed again"), "acknowledged": lazy("Acknowledged"),
    "resolved": lazy("Resolved"), "escalated": lazy("Escalated"), "test_press": lazy("Test press"),
    "escalation_siren": lazy("Siren switched on"), "escalation_siren_failed": lazy("Siren could not be switched on"),
    "escalation_webhook": lazy("Escalation contact notified"),
    "escalation_webhook_failed": lazy("Escalation contact could not be notified"),
    "escalation_email": lazy("E-mail sent"), "escalation_email_failed": lazy("E-mail could not be sent"),
}


class Device(Base):
    """A panic button (or other alarm device), known by its family and the id its topics carry."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("family", "device_id", name="uq_devices_family_device_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[str] = mapped_column(String(128))
    #: None while the device waits in the "unassigned" list.
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"), index=True)
    label: Mapped[str] = mapped_column(String(64), default="")
    #: False for a device that announced itself (a press or a heartbeat) but nobody registered yet.
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    battery: Mapped[int | None] = mapped_column(Integer)
    online: Mapped[bool | None] = mapped_column(Boolean)
    test_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_test_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Recent press counters (Shelly event_cnt, native seq) as "n@epoch,n@epoch": drops redeliveries.
    recent_counters: Mapped[str] = mapped_column(Text, default="")

    room: Mapped[Room | None] = relationship(lazy="joined")


class Alarm(Base):
    """One alarm, from the first press until someone resolves it."""

    __tablename__ = "alarms"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=AlarmState.RAISED, index=True)
    resolution: Mapped[str | None] = mapped_column(String(16))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    device_pk: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    #: "device", "phone" or "staff".
    source: Mapped[str] = mapped_column(String(16))
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "room:<id>", "device:<id>" or "user:<id>" while open, NULL once resolved: the database
    #: itself keeps one open alarm per room (a second press adds an event instead).
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Every press on this alarm, the first included. Only the first few repeats are stored as
    #: events: a storm of presses costs a counter update each, never a growing history.
    press_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_press_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    room: Mapped[Room | None] = relationship(lazy="joined")
    device: Mapped[Device | None] = relationship(lazy="joined")
    events: Mapped[list[AlarmEvent]] = relationship(back_populates="alarm", order_by="AlarmEvent.id",
                                                    cascade="all, delete-orphan")

    @property
    def state_label(self) -> str:
        """The state's label, to translate: "Raised", "Acknowledged", "Resolved"."""
        return AlarmState(self.state).label

    @property
    def resolution_label(self) -> str | None:
        return Resolution(self.resolution).label if self.resolution else None


class AlarmEvent(Base):
    """A step in an alarm's life: raised, press, acknowledged, resolved, escalation steps."""

    __tablename__ = "alarm_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    alarm: Mapped[Alarm] = relationship(back_populates="events")


class BridgeStatus(Base):
    """The MQTT bridge's state as the ingesting process last wrote it (read by all processes)."""

    __tablename__ = "bridge_status"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    malformed_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Mosquitto's $SYS/broker/publish/messages/dropped as last seen, and when it last grew.
    broker_dropped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    broker_dropped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
