"""The rules of panic alarms: devices, the alarm lifecycle, escalation and supervision.

An alarm is never dropped: a press from an unknown device raises one too. The
database keeps one open alarm per room (``alarms.open_key`` is unique while open),
so a second press adds an event instead of a second alarm, even with two writers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

import httpx
from sqlalchemy import or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from location_ops.accounts.models import Role, User
from location_ops.alarms import decoders
from location_ops.alarms.decoders import DeviceMessage
from location_ops.alarms.models import (
    EVENT_LABELS,
    Alarm,
    AlarmEvent,
    AlarmState,
    BridgeStatus,
    Device,
    Resolution,
)
from location_ops.config import Settings
from location_ops.events import emit
from location_ops.i18n import _
from location_ops.rooms.models import Room

log = logging.getLogger(__name__)

STAFF = frozenset({Role.HOST, Role.OPERATOR, Role.SECURITY})
DEVICE_AUDIENCE = frozenset({Role.HOST, Role.OPERATOR})
#: A press counter seen within this window is a redelivery, not a new press.
COUNTER_WINDOW = dt.timedelta(hours=6)
COUNTERS_KEPT = 64
#: Repeated presses on an open alarm beyond this many are only counted (press_count), not stored
#: one by one: a storm must not make each press cost more than the last.
PRESS_EVENTS_KEPT = 5
#: The ingesting bridge refreshes its status row this often; older means nobody ingests.
BRIDGE_STALE = dt.timedelta(seconds=30)


class AlarmError(Exception):
    """A rule said no; the message is a translated sentence for the person."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class NotFound(AlarmError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("This alarm does not exist."), 404)


# --- devices -------------------------------------------------------------------------------

def get_device(*, db_session: Session, family: str, device_id: str) -> Device | None:
    """Return the device with this family and topic id, or None."""
    return db_session.scalar(select(Device).where(Device.family == family, Device.device_id == device_id)
                             .options(lazyload("*")))


def _device_for_message(*, db_session: Session, family: str, device_id: str, now: dt.datetime) -> Device:
    device = get_device(db_session=db_session, family=family, device_id=device_id)
    if device is None:
        device = Device(family=family, device_id=device_id, label="", registered=False, created_at=now,
                        recent_counters="")
        db_session.add(device)  # inserted by the caller's flush, with its first state (no UPDATE after it)
    return device


def list_devices(*, db_session: Session) -> list[Device]:
    """Return every device: registered ones by room, then the unassigned ones."""
    devices = db_session.scalars(select(Device).order_by(Device.registered.desc(), Device.room_id, Device.id))
    return list(devices.unique())


def register_device(*, db_session: Session, family: str, device_id: str, room_id: int | None, label: str,
                    now: dt.datetime) -> Device:
    """Register a device (or assign one that waits in the unassigned list) to a room."""
    family = family.strip()
    device_id = device_id.strip()
    if family not in decoders.FAMILIES:
        raise AlarmError(_("Unknown device family '%(family)s'.") % {"family": family[:32]}, 422)
    if not device_id or len(device_id) > 128 or "/" in device_id or "+" in device_id or "#" in device_id:
        raise AlarmError(_("The device id must be 1 to 128 characters without '/', '+' or '#'."), 422)
    if room_id is not None and db_session.get(Room, room_id) is None:
        raise AlarmError(_("This room does not exist."), 404)
    device = get_device(db_session=db_session, family=family, device_id=device_id)
    if device is None:
        device = Device(family=family, device_id=device_id, created_at=now, recent_counters="")
        db_session.add(device)
    device.room_id = room_id
    device.label = label.strip()[:64]
    device.registered = True
    db_session.flush()
    db_session.expire(device, ["room"])
    return device


def set_test_mode(*, db_session: Session, device: Device, minutes: int, now: dt.datetime) -> Device:
    """Put a device in test mode for ``minutes`` (0 ends it): its presses are recorded as tests."""
    if minutes < 0 or minutes > 240:
        raise AlarmError(_("Test mode lasts between 0 and 240 minutes."), 422)
    device.test_until = now + dt.timedelta(minutes=minutes) if minutes else None
    db_session.flush()
    return device


def in_test_mode(device: Device, now: dt.datetime) -> bool:
    return device.test_until is not None and device.test_until > now


class Counters:
    """A device's recent press counters (Shelly event_cnt, native seq), read once, written once.

    Stored as "n@epoch,n@epoch" in ``recent_counters``; a counter seen within COUNTER_WINDOW is a
    redelivery, not a new press.
    """

    def __init__(self, device: Device, now: dt.datetime) -> None:
        horizon = (now - COUNTER_WINDOW).timestamp()
        self.kept: list[tuple[int, int]] = []
        for item in (device.recent_counters or "").split(","):
            number, _sep, stamp = item.partition("@")
            try:
                pair = (int(number), int(stamp))
            except ValueError:
                continue  # our own storage format: anything else is dropped
            if pair[1] >= horizon:
                self.kept.append(pair)
        self.seen = {number for number, _stamp in self.kept}

    def seen_before(self, counter: int, now: dt.datetime) -> bool:
        """Record ``counter``; True when it was seen recently (a redelivered duplicate)."""
        if counter in self.seen:
            return True
        self.seen.add(counter)
        self.kept.append((counter, int(now.timestamp())))
        return False

    def reset(self) -> None:
        self.kept, self.seen = [], set()

    def store(self, device: Device) -> None:
        device.recent_counters = ",".join(f"{n}@{s}" for n, s in self.kept[-COUNTERS_KEPT:])


def _seen_counter(device: Device, counter: int, now: dt.datetime) -> bool:
    """Record ``counter`` on the device; return True when it was seen recently (a duplicate)."""
    counters = Counters(device, now)
    duplicate = counters.seen_before(counter, now)
    counters.store(device)
    return duplicate


# --- alarms ---------------------------------------------------------------------------------

def _event(alarm: Alarm, kind: str, now: dt.datetime, user_id: int | None = None, note: str = "") -> AlarmEvent:
    event = AlarmEvent(kind=kind, at=now, user_id=user_id, note=note[:500])
    alarm.events.append(event)
    return event


def open_alarm(*, db_session: Session, open_key: str) -> Alarm | None:
    return db_session.scalar(select(Alarm).where(Alarm.open_key == open_key).options(lazyload("*")))


def raise_alarm(*, db_session: Session, now: dt.datetime, source: str, room_id: int | None = None,
                device: Device | None = None, user_id: int | None = None, note: str = "") -> tuple[Alarm, bool]:
    """Raise an alarm, or add a press to the room's open one; return (alarm, created)."""
    if room_id is not None:
        open_key = f"room:{room_id}"
    elif device is not None:
        open_key = f"device:{device.id}"
    else:
        open_key = f"user:{user_id}"
    for _attempt in range(3):
        existing = open_alarm(db_session=db_session, open_key=open_key)
        if existing is not None:
            add_presses(db_session=db_session, alarm=existing, now=now, count=1, user_id=user_id, note=note)
            return existing, False
        alarm = Alarm(state=AlarmState.RAISED, room_id=room_id, device=device, press_count=1, last_press_at=now,
                      source=source, raised_by_id=user_id, is_test=False, open_key=open_key, raised_at=now)
        _event(alarm, "raised", now, user_id, note)
        if db_session.get_bind().dialect.name == "sqlite":
            # SQLite transactions start with BEGIN IMMEDIATE: no other writer can race us here.
            db_session.add(alarm)
            db_session.flush()
            return alarm, True
        try:
            with db_session.begin_nested():
                db_session.add(alarm)
                db_session.flush()
        except IntegrityError:
            # Another writer opened this room's alarm a moment ago: add to theirs.
            continue
        return alarm, True
    raise AlarmError(_("The alarm could not be recorded; try again."), 503)


def add_presses(*, db_session: Session, alarm: Alarm, now: dt.datetime, count: int = 1, user_id: int | None = None,
                note: str = "") -> None:
    """Count ``count`` more presses on an open alarm: a counter update, whatever its history.

    The first few repeats are kept as events, and every press by a person (a worker's phone),
    so that she finds her own press; a button's storm is only counted.
    """
    before = alarm.press_count or 1
    db_session.execute(update(Alarm).where(Alarm.id == alarm.id)
                       .values(press_count=Alarm.press_count + count, last_press_at=now)
                       .execution_options(synchronize_session=False))
    set_committed_value(alarm, "press_count", before + count)
    set_committed_value(alarm, "last_press_at", now)
    if user_id is not None or before - 1 < PRESS_EVENTS_KEPT:
        db_session.add(AlarmEvent(alarm_id=alarm.id, kind="press", at=now, user_id=user_id, note=note[:500]))
    db_session.flush()


def record_test_press(*, db_session: Session, now: dt.datetime, device: Device, note: str = "") -> Alarm:
    """Record a press in test mode: an alarm resolved as a test at once, never escalated."""
    alarm = Alarm(state=AlarmState.RESOLVED, resolution=Resolution.TEST, room_id=device.room_id if device.registered
                  else None, device_pk=device.id, source="device", is_test=True, open_key=None, raised_at=now,
                  resolved_at=now, press_count=1, last_press_at=now)
    _event(alarm, "test_press", now, None, note)
    _event(alarm, "resolved", now, None, Resolution.TEST)
    db_session.add(alarm)
    device.last_test_at = now
    db_session.flush()
    return alarm


@dataclass
class Ingested:
    """What one device message changed: an alarm raised or pressed again, a test, a device update."""

    device: Device | None = None
    alarm: Alarm | None = None
    created: bool = False
    duplicate: bool = False
    device_changed: bool = False


def ingest(*, db_session: Session, message: DeviceMessage, now: dt.datetime, device: Device | None = None) -> Ingested:
    """Apply one decoded device message to the database (the caller commits)."""
    if device is None:
        device = _device_for_message(db_session=db_session, family=message.family, device_id=message.device_id,
                                     now=now)
    result = Ingested(device=device)
    was_offline = device.online is False
    if not message.retained:
        device.last_seen_at = now
    result.device_changed = _apply_state(device, message)
    if message.kind == decoders.ONLINE and was_offline:
        device.recent_counters = ""  # a rebooted device restarts its counter
    if message.kind not in (decoders.PRESS, decoders.TEST) or message.retained:
        db_session.flush()
        return result
    if message.counter is not None and _seen_counter(device, message.counter, now):
        result.duplicate = True
        db_session.flush()
        return result
    if device.id is None:
        db_session.flush()  # a new device: one INSERT with its first state and counter; its id is needed below
    note = message.detail
    if message.kind == decoders.TEST or in_test_mode(device, now):
        result.alarm = record_test_press(db_session=db_session, now=now, device=device, note=note)
        result.created = True
        return result
    room_id = device.room_id if device.registered else None
    result.alarm, result.created = raise_alarm(db_session=db_session, now=now, source="device", room_id=room_id,
                                               device=device, note=note)
    return result


@dataclass
class Batch:
    """What one batch of device messages changed (its events are emitted at commit)."""

    raised: list[Alarm] = field(default_factory=list)
    pressed: dict[int, int] = field(default_factory=dict)
    devices_changed: int = 0
    duplicates: int = 0
    #: Presses that were only counted on an open alarm (not stored one by one).
    counted: int = 0


def preload_devices(*, db_session: Session, messages: list[DeviceMessage]) -> dict[tuple[str, str], Device]:
    """Load the devices of a batch in one query."""
    keys = {(m.family, m.device_id) for m in messages}
    if not keys:
        return {}
    found = db_session.scalars(select(Device).where(tuple_(Device.family, Device.device_id).in_(list(keys)))
                               .options(lazyload("*")))
    return {(device.family, device.device_id): device for device in found}


def _apply_state(device: Device, message: DeviceMessage) -> bool:
    """Apply what a message says about the device itself; True when online or battery changed."""
    was_online, was_battery = device.online, device.battery
    if not message.retained:
        if message.kind != decoders.OFFLINE:
            device.online = True
    if message.battery is not None:
        device.battery = message.battery
    if message.kind == decoders.ONLINE:
        device.online = True
    elif message.kind == decoders.OFFLINE:
        device.online = False
    return device.online != was_online or device.battery != was_battery


def _open_key(device: Device) -> str:
    return f"room:{device.room_id}" if device.registered and device.room_id is not None else f"device:{device.id}"


def ingest_batch(*, db_session: Session, messages: list[DeviceMessage], now: dt.datetime,
                 devices: dict[tuple[str, str], Device] | None = None) -> Batch:
    """Apply a batch of device messages in receive order, in one transaction (the caller commits).

    New devices are inserted together, new alarms too (one flush, whatever their number);
    repeated presses on an open alarm are counted with one UPDATE per alarm; heartbeats of one
    device collapse to the newest; each device's counters are read and written once. The
    cost of a message never depends on an alarm's history. Announcements are emitted for
    the commit.
    """
    devices = devices if devices is not None else preload_devices(db_session=db_session, messages=messages)
    batch = Batch()
    latest_heartbeat: dict[tuple[str, str], DeviceMessage] = {}
    for message in messages:
        key = (message.family, message.device_id)
        if message.kind == decoders.HEARTBEAT and not message.retained:
            latest_heartbeat[key] = message
        if key not in devices:
            devices[key] = Device(family=message.family, device_id=message.device_id, label="", registered=False,
                                  created_at=now, recent_counters="")
            db_session.add(devices[key])
    fresh = {device for device in devices.values() if device.id is None}
    if fresh:
        db_session.flush()  # every new device in one go: their ids are needed below
    counters: dict[int, Counters] = {}
    open_alarms_by_key: dict[str, Alarm | None] = {}
    new_alarms: list[Alarm] = []
    repeats: dict[int, tuple[Alarm, int]] = {}
    changed: dict[int, Device] = {}
    for message in messages:
        key = (message.family, message.device_id)
        if message.kind == decoders.HEARTBEAT and not message.retained and latest_heartbeat.get(key) is not message:
            continue
        device = devices[key]
        if not message.retained:
            device.last_seen_at = now
        was_offline = device.online is False
        if _apply_state(device, message):
            changed[device.id] = device
        if message.kind == decoders.ONLINE and was_offline:
            counters.setdefault(device.id, Counters(device, now)).reset()  # a rebooted device restarts its counter
        if message.kind not in (decoders.PRESS, decoders.TEST) or message.retained:
            continue
        if message.counter is not None:
            if counters.setdefault(device.id, Counters(device, now)).seen_before(message.counter, now):
                batch.duplicates += 1
                continue
        if message.kind == decoders.TEST or in_test_mode(device, now):
            alarm = record_test_press(db_session=db_session, now=now, device=device, note=message.detail)
            batch.raised.append(alarm)
            emit_alarm(db_session, alarm, "test")
            continue
        open_key = _open_key(device)
        if open_key not in open_alarms_by_key:
            # A device inserted just now cannot have an open alarm of its own.
            open_alarms_by_key[open_key] = (None if device in fresh and open_key.startswith("device:")
                                            else open_alarm(db_session=db_session, open_key=open_key))
        alarm = open_alarms_by_key[open_key]
        if alarm is not None:
            count = repeats.get(id(alarm), (alarm, 0))[1]
            repeats[id(alarm)] = (alarm, count + 1)
            continue
        alarm = Alarm(state=AlarmState.RAISED, room_id=device.room_id if device.registered else None, device=device,
                      press_count=1, last_press_at=now, source="device", raised_by_id=None, is_test=False,
                      open_key=open_key, raised_at=now)
        _event(alarm, "raised", now, None, message.detail)
        new_alarms.append(alarm)  # added by _insert_alarms, inside its savepoint
        open_alarms_by_key[open_key] = alarm
    by_pk = {device.id: device for device in devices.values()}
    for device_pk, window in counters.items():
        window.store(by_pk[device_pk])
    if new_alarms:
        replaced = _insert_alarms(db_session, new_alarms)
        repeats = {key: (replaced.get(id(alarm), alarm), count) for key, (alarm, count) in repeats.items()}
    for alarm in new_alarms:
        if alarm.state == AlarmState.RAISED and alarm.press_count == 1:
            batch.raised.append(alarm)
            emit_alarm(db_session, alarm, "raised")
    for alarm, count in repeats.values():
        add_presses(db_session=db_session, alarm=alarm, now=now, count=count)
        batch.pressed[alarm.id] = batch.pressed.get(alarm.id, 0) + count
        batch.counted += count
        emit_alarm(db_session, alarm, "pressed")
    for device in changed.values():
        emit_device(db_session, device)
    batch.devices_changed = len(changed)
    db_session.flush()
    return batch


def _insert_alarms(db_session: Session, alarms: list[Alarm]) -> dict[int, Alarm]:
    """Insert new alarms in one flush; if another writer opened one of their rooms meanwhile, one by one.

    Returns {id(planned alarm): the alarm it became} for alarms that joined one opened meanwhile;
    ``alarms`` is updated in place.
    """
    if db_session.get_bind().dialect.name == "sqlite":
        db_session.add_all(alarms)
        db_session.flush()  # SQLite transactions start with BEGIN IMMEDIATE: no other writer races us
        return {}
    db_session.flush()  # everything else first: begin_nested() would flush it outside the savepoint
    try:
        with db_session.begin_nested():
            db_session.add_all(alarms)
            db_session.flush()
        return {}
    except IntegrityError:
        pass
    # Rare: a phone alarm for one of these rooms was committed by another process just now.
    replaced = {}
    for index, planned in enumerate(alarms):
        if planned in db_session:
            db_session.expunge(planned)
        alarm, created = raise_alarm(db_session=db_session, now=planned.raised_at, source="device",
                                     room_id=planned.room_id, device=planned.device)
        alarms[index] = alarm
        replaced[id(planned)] = alarm
        if not created:
            log.info("alarm %s: a device press joined an alarm opened meanwhile", alarm.id)
            emit_alarm(db_session, alarm, "pressed")
    return replaced


def _visible(statement, role: Role, user_id: int):
    if role == Role.WORKER:
        # Her own: those she raised and those she pressed while they were open.
        pressed = select(AlarmEvent.alarm_id).where(AlarmEvent.user_id == user_id, AlarmEvent.kind == "press")
        return statement.where(or_(Alarm.raised_by_id == user_id, Alarm.id.in_(pressed)))
    return statement


def checked_in_room(*, db_session: Session, worker_id: int, now: dt.datetime) -> int | None:
    """The room a worker is checked in to now (checked in, not out, booking running), if any."""
    from location_ops.bookings.models import Booking, BookingStatus

    return db_session.scalar(
        select(Booking.room_id).where(Booking.worker_id == worker_id, Booking.status == BookingStatus.BOOKED,
                                      Booking.checked_in_at.is_not(None), Booking.checked_out_at.is_(None),
                                      Booking.starts_at <= now + dt.timedelta(hours=2),
                                      Booking.ends_at > now - dt.timedelta(hours=6))
        .order_by(Booking.checked_in_at.desc()).limit(1))


def raise_from_person(*, db_session: Session, now: dt.datetime, role: Role, user_id: int, room_id: int | None,
                      note: str = "") -> tuple[Alarm, bool]:
    """Raise an alarm from a phone or a staff screen: never refused for a bad room.

    An unknown room raises it without a room; a worker checked in to a room raises it for
    that room when she chose none.
    """
    if room_id is not None and db_session.get(Room, room_id) is None:
        room_id = None
    if room_id is None and role == Role.WORKER:
        room_id = checked_in_room(db_session=db_session, worker_id=user_id, now=now)
    source = "phone" if role == Role.WORKER else "staff"
    alarm, created = raise_alarm(db_session=db_session, now=now, source=source, room_id=room_id, user_id=user_id,
                                 note=note)
    emit_alarm(db_session, alarm, "raised" if created else "pressed")
    if not created and alarm.raised_by_id != user_id:
        # She pressed on an alarm someone else raised: her own screen hears of her press.
        emit(db_session, "alarm", {"what": "pressed", "id": alarm.id, "state": alarm.state},
             audience=frozenset(), user_id=user_id)
    return alarm, created


def list_alarms(*, db_session: Session, role: Role, user_id: int, state: str | None = None,
                limit: int = 200) -> list[Alarm]:
    """Alarms this person may see (a worker: only those they raised), newest first."""
    statement = select(Alarm).order_by(Alarm.raised_at.desc(), Alarm.id.desc()).limit(limit)
    if state == "open":
        statement = statement.where(Alarm.state != AlarmState.RESOLVED)
    elif state:
        if state not in set(AlarmState):
            raise AlarmError(_("Unknown state '%(state)s': use raised, acknowledged, resolved or open.")
                             % {"state": state[:20]}, 422)
        statement = statement.where(Alarm.state == state)
    return list(db_session.scalars(_visible(statement, role, user_id)).unique())


def open_alarms(*, db_session: Session) -> list[Alarm]:
    """Every alarm not yet resolved, oldest first (what the staff banner shows)."""
    statement = select(Alarm).where(Alarm.state != AlarmState.RESOLVED).order_by(Alarm.raised_at, Alarm.id)
    return list(db_session.scalars(statement).unique())


def get_alarm(*, db_session: Session, alarm_id: int, role: Role, user_id: int) -> Alarm:
    """The alarm, if this person may see it; else NotFound (never a hint that it exists)."""
    alarm = db_session.scalar(_visible(select(Alarm).where(Alarm.id == alarm_id), role, user_id))
    if alarm is None:
        raise NotFound()
    return alarm


def alarm_events(*, db_session: Session, alarm_id: int, offset: int = 0, limit: int = 50) -> tuple[list[AlarmEvent], int]:
    """One page of an alarm's events, oldest first, and how many there are."""
    from sqlalchemy import func

    total = db_session.scalar(select(func.count()).select_from(AlarmEvent).where(AlarmEvent.alarm_id == alarm_id))
    page = db_session.scalars(select(AlarmEvent).where(AlarmEvent.alarm_id == alarm_id)
                              .order_by(AlarmEvent.id).offset(offset).limit(limit))
    return list(page), total or 0


def acknowledge(*, db_session: Session, alarm: Alarm, user_id: int, now: dt.datetime, note: str = "") -> Alarm:
    """Acknowledge: someone is on the way. Silences the screens; the alarm stays open."""
    if alarm.state == AlarmState.RESOLVED:
        raise AlarmError(_("This alarm is already resolved."), 409)
    if alarm.state == AlarmState.RAISED:
        alarm.state = AlarmState.ACKNOWLEDGED
        alarm.acknowledged_at = now
        alarm.acknowledged_by_id = user_id
    _event(alarm, "acknowledged", now, user_id, note)
    db_session.flush()
    return alarm


def resolve(*, db_session: Session, alarm: Alarm, user_id: int, now: dt.datetime, resolution: str,
            note: str = "") -> Alarm:
    """Resolve an alarm as handled, a false alarm or a test."""
    if resolution not in set(Resolution):
        raise AlarmError(_("Choose how the alarm ended: handled, false alarm or test."), 422)
    if alarm.state == AlarmState.RESOLVED:
        raise AlarmError(_("This alarm is already resolved."), 409)
    if alarm.state == AlarmState.RAISED:
        alarm.acknowledged_at = now
        alarm.acknowledged_by_id = user_id
    alarm.state = AlarmState.RESOLVED
    alarm.resolution = resolution
    alarm.resolved_at = now
    alarm.resolved_by_id = user_id
    alarm.open_key = None
    if resolution == Resolution.TEST and alarm.device is not None:
        alarm.device.last_test_at = now
    _event(alarm, "resolved", now, user_id, (resolution + (": " + note if note else ""))[:500])
    db_session.flush()
    return alarm


def event_text(alarm: Alarm, event: AlarmEvent) -> tuple[str, str]:
    """An alarm event as people read it: (what happened, translated; the note someone typed, or "").

    The stored kind and note are codes for the API ("resolved", "false_alarm: …", "after 30 s");
    the screens say "Resolved: False alarm" and "Escalated after 30 s".
    """
    note = event.note or ""
    label = EVENT_LABELS.get(event.kind)
    if event.kind == "escalated":
        seconds = max(0, round((event.at - alarm.raised_at).total_seconds()))
        return _("Escalated after %(seconds)s s") % {"seconds": seconds}, ""
    if event.kind == "resolved":
        code, _sep, typed = note.partition(": ")
        if code in set(Resolution):
            return _("Resolved: %(resolution)s") % {"resolution": _(Resolution(code).label)}, typed
        return _(label), note
    if event.kind == "escalation_email":
        return _(label), ""  # the note counts recipients in English
    return (_(label) if label else event.kind), note


def alarm_title(alarm: Alarm) -> str:
    """What the screens say: the room, or which button or phone raised it."""
    if alarm.room is not None:
        if alarm.source == "phone":
            return _("%(room)s — from a phone") % {"room": alarm.room.label}
        return alarm.room.label
    if alarm.device is not None:
        return _("Unregistered button %(id)s") % {"id": alarm.device.device_id}
    return _("Alarm from a phone (room unknown)")


def worker_alarm_view(alarm: Alarm) -> dict:
    """What a worker gets about an alarm she raised or pressed: its state, nothing of other people."""
    return {
        "id": alarm.id,
        "state": alarm.state,
        "title": alarm_title(alarm),
        "room_id": alarm.room_id,
        "room": alarm.room.label if alarm.room else None,
        "source": alarm.source,
        "received": True,
        "acknowledged": alarm.acknowledged_at is not None,
        "resolved": alarm.resolved_at is not None,
    }


def alarm_view(alarm: Alarm, events: list[AlarmEvent] | None = None, events_total: int | None = None) -> dict:
    """The JSON shape of an alarm for staff (API). ``events``: a page of its events, if given."""
    view = {
        "id": alarm.id,
        "state": alarm.state,
        "resolution": alarm.resolution,
        "title": alarm_title(alarm),
        "room_id": alarm.room_id,
        "room": alarm.room.label if alarm.room else None,
        "device": ({"family": alarm.device.family, "device_id": alarm.device.device_id,
                    "registered": alarm.device.registered} if alarm.device else None),
        "source": alarm.source,
        "is_test": alarm.is_test,
        "raised_by_id": alarm.raised_by_id,
        "raised_at": alarm.raised_at.isoformat(),
        "acknowledged_at": alarm.acknowledged_at.isoformat() if alarm.acknowledged_at else None,
        "acknowledged_by_id": alarm.acknowledged_by_id,
        "resolved_at": alarm.resolved_at.isoformat() if alarm.resolved_at else None,
        "escalated_at": alarm.escalated_at.isoformat() if alarm.escalated_at else None,
        "press_count": alarm.press_count,
        "last_press_at": alarm.last_press_at.isoformat() if alarm.last_press_at else None,
    }
    if events is not None:
        view["events"] = [{"kind": e.kind, "at": e.at.isoformat(), "user_id": e.user_id, "note": e.note}
                          for e in events]
        view["events_total"] = events_total if events_total is not None else len(events)
    return view


def user_names(*, db_session: Session, ids, workers: bool = True) -> dict[int, str]:
    """Usernames by id; ``workers=False`` leaves out workers' pseudonyms (only the host sees them)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    statement = select(User.id, User.username).where(User.id.in_(ids))
    if not workers:
        statement = statement.where(User.role != Role.WORKER)
    return dict(db_session.execute(statement).all())


def alarm_message(alarm: Alarm, what: str) -> tuple[dict, int | None]:
    """The SSE event of an alarm change; build it before the commit, publish it after."""
    data = {"what": what, "id": alarm.id, "state": alarm.state, "title": alarm_title(alarm),
            "device_id": alarm.device.device_id if alarm.device is not None else None,
            "is_test": alarm.is_test, "raised_at": alarm.raised_at.isoformat(), "presses": alarm.press_count}
    return data, alarm.raised_by_id


def publish_alarm(hub, message: tuple[dict, int | None]) -> None:
    """Tell the screens (staff, and the worker who raised it) that an alarm changed."""
    if hub is not None:
        data, raised_by = message
        hub.publish("alarm", data, audience=STAFF, user_id=raised_by)


def emit_alarm(db_session: Session, alarm: Alarm, what: str) -> None:
    """Tell every process's staff screens (and the worker who raised it) at commit: the alarm changed."""
    data, raised_by = alarm_message(alarm, what)
    emit(db_session, "alarm", data, audience=STAFF, user_id=raised_by)


def emit_device(db_session: Session, device: Device) -> None:
    emit(db_session, "device", {"what": "device", "id": device.id, "online": device.online,
                                "battery": device.battery}, audience=DEVICE_AUDIENCE)


def announce(hub, alarm: Alarm, what: str) -> None:
    """Build and publish an alarm's event (for callers that hold the alarm after the commit)."""
    publish_alarm(hub, alarm_message(alarm, what))


def announce_device(hub, device: Device) -> None:
    if hub is None:
        return
    hub.publish("device", {"what": "device", "id": device.id, "online": device.online, "battery": device.battery},
                audience=DEVICE_AUDIENCE)


# --- bridge status --------------------------------------------------------------------------

def record_bridge_state(*, db_session: Session, site: str, connected: bool, now: dt.datetime,
                        malformed_count: int) -> None:
    """Store the ingesting bridge's state, read by every process (and device_warnings)."""
    row = db_session.get(BridgeStatus, site)
    if row is None:
        row = BridgeStatus(site=site)
        db_session.add(row)
    row.connected, row.updated_at, row.malformed_count = connected, now, malformed_count
    db_session.flush()


def bridge_connected(*, db_session: Session, site: str, now: dt.datetime) -> bool:
    """Whether some process's bridge is connected to the broker and alive (its row is fresh)."""
    row = db_session.get(BridgeStatus, site)
    return row is not None and row.connected and now - row.updated_at <= BRIDGE_STALE


def record_broker_dropped(*, db_session: Session, site: str, dropped: int, now: dt.datetime) -> bool:
    """Store a reading of Mosquitto's ``$SYS/broker/publish/messages/dropped``; True if it shows new drops.

    The counter counts since the broker started. A reading above the stored one is new drops; so is
    one below it but above 0 (the broker restarted, and dropped since). The first reading ever counts
    against 0: drops from before the app watched (most likely while the app was down, when its queue
    filled) are real and are reported. Only new drops move ``broker_dropped_at``, which the warning uses.
    """
    row = db_session.get(BridgeStatus, site, with_for_update=True)
    if row is None:
        row = BridgeStatus(site=site, connected=False, updated_at=now, malformed_count=0, broker_dropped=0)
        db_session.add(row)
    previous = row.broker_dropped or 0
    grew = dropped > previous or 0 < dropped < previous
    row.broker_dropped = dropped
    if grew:
        row.broker_dropped_at = now
    db_session.flush()
    return grew


# --- supervision ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DeviceWarning:
    """Something about a device (or the bridge) that the host and operator must see."""

    kind: str  # silent, offline, low_battery, test_overdue, unassigned, bridge, broker_dropped
    message: str
    device_pk: int | None = None


def device_warnings(*, db_session: Session, now: dt.datetime, settings: Settings | None = None,
                    site: str | None = None) -> list[DeviceWarning]:
    """Silent, offline, low-battery, test-overdue and unassigned devices, a disconnected bridge, broker drops."""
    settings = settings or Settings()
    site = site or settings.site
    warnings: list[DeviceWarning] = []
    if not bridge_connected(db_session=db_session, site=site, now=now):
        warnings.append(DeviceWarning("bridge", _("The alarm bridge is not connected to the MQTT broker: "
                                                  "panic buttons do not reach this screen.")))
    status = db_session.get(BridgeStatus, site)
    if (status is not None and status.broker_dropped_at is not None
            and now - status.broker_dropped_at <= dt.timedelta(hours=settings.broker_dropped_warning_hours)):
        warnings.append(DeviceWarning("broker_dropped", _(
            "The MQTT broker dropped messages (noticed %(when)s; %(n)s since the broker started): panic presses "
            "may have been lost. Raise the broker's queue limits (deploy/mosquitto.conf).")
            % {"when": _local(status.broker_dropped_at), "n": status.broker_dropped}))
    for device in list_devices(db_session=db_session):
        name = device_name(device)
        if not device.registered:
            warnings.append(DeviceWarning("unassigned", _("%(name)s is not assigned to a room.") % {"name": name},
                                          device.id))
            continue
        battery_powered = decoders.FAMILIES.get(device.family, {}).get("battery", True)
        interval = (dt.timedelta(hours=settings.supervision_battery_hours) if battery_powered
                    else dt.timedelta(minutes=settings.supervision_mains_minutes))
        seen = device.last_seen_at or device.created_at
        if now - seen > interval:
            warnings.append(DeviceWarning("silent", _("%(name)s has not been heard from since %(when)s.")
                                          % {"name": name, "when": _local(seen)}, device.id))
        elif device.online is False:
            warnings.append(DeviceWarning("offline", _("%(name)s is offline.") % {"name": name}, device.id))
        if device.battery is not None and device.battery <= settings.low_battery_percent:
            warnings.append(DeviceWarning("low_battery", _("%(name)s: battery low (%(pct)s %%).")
                                          % {"name": name, "pct": device.battery}, device.id))
        tested = device.last_test_at or device.created_at
        if now - tested > dt.timedelta(days=settings.device_test_interval_days):
            warnings.append(DeviceWarning("test_overdue", _("%(name)s needs a test press.") % {"name": name},
                                          device.id))
    return warnings


def _local(value: dt.datetime) -> str:
    from location_ops.formatting import fmt_datetime

    return fmt_datetime(value)


def device_name(device: Device) -> str:
    where = device.room.label if device.room is not None else _("no room")
    label = device.label or device.device_id
    return f"{label} ({where})"


# --- escalation -----------------------------------------------------------------------------

def claim_due_escalations(*, db_session: Session, settings: Settings, now: dt.datetime) -> list[int]:
    """Mark unacknowledged alarms older than the escalation delay as escalated; return their ids.

    The conditional UPDATE makes the claim exactly-once across processes.
    """
    cutoff = now - dt.timedelta(seconds=settings.alarm_escalation_seconds)
    due = db_session.scalars(select(Alarm.id).where(
        Alarm.state == AlarmState.RAISED, Alarm.is_test.is_(False), Alarm.escalated_at.is_(None),
        Alarm.raised_at <= cutoff)).all()
    claimed = []
    for alarm_id in due:
        result = db_session.execute(update(Alarm).where(Alarm.id == alarm_id, Alarm.escalated_at.is_(None))
                                    .values(escalated_at=now))
        if result.rowcount == 1:
            claimed.append(alarm_id)
    return claimed


def siren_payload(settings: Settings, alarm: Alarm | None, *, on: bool, extra: dict | None = None) -> bytes:
    """The siren topic's message: the configured word, or a JSON object with the alarm."""
    configured = settings.alarm_siren_on_payload if on else settings.alarm_siren_off_payload
    if configured:
        return configured.encode()
    body = {"state": "on" if on else "off", "site": settings.site}
    if alarm is not None:
        body["alarm_id"] = alarm.id
    return json.dumps({**body, **(extra or {})}).encode()


def siren_may_stop(*, db_session: Session) -> bool:
    """True when no alarm is left unacknowledged: the siren may go quiet."""
    return db_session.scalar(select(Alarm.id).where(Alarm.state == AlarmState.RAISED, Alarm.is_test.is_(False))
                             .limit(1)) is None


def sign(secret: str, body: bytes) -> str:
    """The webhook signature header value: sha256=<hex HMAC-SHA256 of the body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class EscalationOutcome:
    alarm_id: int
    steps: list[tuple[str, str]] = field(default_factory=list)


def escalate(*, db_session: Session, settings: Settings, alarm_id: int, now: dt.datetime,
             publish_siren: Callable[[str, bytes], bool] | None) -> EscalationOutcome:
    """Sound the siren, call the webhooks and send e-mail for one alarm; record every step."""
    alarm = db_session.get(Alarm, alarm_id)
    outcome = EscalationOutcome(alarm_id)
    if alarm is None:
        return outcome
    view = {"alarm_id": alarm.id, "site": settings.site, "title": alarm_title(alarm),
            "room": alarm.room.label if alarm.room else None, "state": alarm.state,
            "raised_at": alarm.raised_at.isoformat(), "escalated_at": now.isoformat()}
    db_session.commit()  # do the network calls without holding the database
    if settings.alarm_siren_topic:
        ok = bool(publish_siren and publish_siren(settings.alarm_siren_topic,
                                                  siren_payload(settings, alarm, on=True, extra=view)))
        outcome.steps.append(("siren" if ok else "siren_failed", settings.alarm_siren_topic))
    body = json.dumps({"event": "alarm_escalated", **view}).encode()
    secret = settings.alarm_webhook_secret or settings.secret()
    for url in settings.alarm_webhook_urls:
        try:
            response = httpx.post(url, content=body, timeout=5, headers={
                "Content-Type": "application/json", "X-Location-Ops-Signature": sign(secret, body)})
            ok = 200 <= response.status_code < 300
            outcome.steps.append(("webhook" if ok else "webhook_failed", f"{_host(url)} {response.status_code}"))
        except httpx.HTTPError as error:
            outcome.steps.append(("webhook_failed", f"{_host(url)} {type(error).__name__}"))
    if settings.smtp_host and settings.alarm_email_recipients:
        message = EmailMessage()
        message["Subject"] = f"[location-ops {settings.site}] ALARM {view['title']} - not acknowledged"
        message["From"] = settings.smtp_from
        message["To"] = ", ".join(settings.alarm_email_recipients)
        message.set_content(
            f"Alarm {alarm_id} ({view['title']}) was raised at {view['raised_at']} and nobody has "
            f"acknowledged it after {settings.alarm_escalation_seconds} seconds.\n")
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
            outcome.steps.append(("email", f"{len(settings.alarm_email_recipients)} recipients"))
        except (OSError, smtplib.SMTPException) as error:
            outcome.steps.append(("email_failed", type(error).__name__))
    alarm = db_session.get(Alarm, alarm_id)
    _event(alarm, "escalated", now, None, f"after {settings.alarm_escalation_seconds} s")
    for kind, note in outcome.steps:
        _event(alarm, f"escalation_{kind}", now, None, note)
    db_session.commit()
    log.warning("alarm %s escalated: %s", alarm_id, ", ".join(kind for kind, _note in outcome.steps) or "no channels")
    return outcome


def _host(url: str) -> str:
    return httpx.URL(url).host


def run_escalations(*, sessionmaker, settings: Settings, now: dt.datetime,
                    publish_siren: Callable[[str, bytes], bool] | None, hub=None) -> list[EscalationOutcome]:
    """Escalate every alarm that is due (called every second by the app, and by tests)."""
    with sessionmaker() as db_session:
        claimed = claim_due_escalations(db_session=db_session, settings=settings, now=now)
        db_session.commit()
    outcomes = []
    for alarm_id in claimed:
        with sessionmaker() as db_session:
            outcomes.append(escalate(db_session=db_session, settings=settings, alarm_id=alarm_id, now=now,
                                     publish_siren=publish_siren))
            alarm = db_session.get(Alarm, alarm_id)
            if alarm is not None:
                emit_alarm(db_session, alarm, "escalated")
                db_session.commit()
    return outcomes


