"""Storms: one chatty button never delays another room, and a press never costs more than the last.

Against a real Mosquitto: the database is held busy while a storm from one button and then
one press from another room arrive, so that they wait together; when it frees, the other
room's press is stored before the storm's presses are (an ordering fact, not a time), and
every press of the storm is counted.
"""

from __future__ import annotations

import json

from sqlalchemy import event, func, select, text

from location_ops.alarms import service
from location_ops.alarms.decoders import DeviceMessage
from location_ops.alarms.models import Alarm, AlarmEvent
from location_ops.clock import utcnow
from tests.alarms.conftest import publish, wait_connected, wait_until

STORM = 1500  # below the bridge's Receive Maximum: the broker sends it all while the database is busy


def _register(app, device_id: str, room_id: int) -> None:
    with app.state.sessionmaker() as db_session:
        service.register_device(db_session=db_session, family="native", device_id=device_id, room_id=room_id,
                                label="", now=utcnow())
        db_session.commit()


def _alarm_of_room(app, room_id: int) -> Alarm | None:
    with app.state.sessionmaker() as db_session:
        return db_session.scalar(select(Alarm).where(Alarm.room_id == room_id))


class DatabaseHeld:
    """Hold the database's write lock from another connection (SQLite) or lock the alarms table."""

    def __init__(self, engine) -> None:
        self.connection = engine.connect()
        self.sqlite = engine.dialect.name == "sqlite"

    def __enter__(self):
        if self.sqlite:
            self.connection.begin()  # the engine starts every transaction with BEGIN IMMEDIATE
            self.connection.execute(text("UPDATE bridge_status SET malformed_count = malformed_count"))
        else:
            self.connection.begin()
            self.connection.execute(text("LOCK TABLE alarms IN ACCESS EXCLUSIVE MODE"))
        return self

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()

    def __exit__(self, *exc) -> None:
        if not self.connection.closed:
            self.release()


def test_a_press_from_another_room_goes_before_a_storm(client, app, rooms, mosquitto):
    wait_connected(app)
    site = app.state.settings.site
    _register(app, "chatty", rooms[1])
    _register(app, "quiet", rooms[2])
    storm = [(f"location-ops/{site}/devices/chatty/event", json.dumps({"event": "press", "seq": n}), False)
             for n in range(1, STORM + 1)]
    other = (f"location-ops/{site}/devices/quiet/event", json.dumps({"event": "press", "seq": 1}), False)
    bridge = app.state.bridge
    received = bridge.received_count
    with DatabaseHeld(app.state.engine) as held:
        publish(mosquitto.url, *storm, other)
        # Everything is at the bridge, waiting for the database
        # (the first batch is taken and blocked in the database; the rest wait in the inbox).
        wait_until(lambda: bridge.received_count >= received + STORM + 1, what="the storm to reach the bridge")
        held.release()
    wait_until(lambda: (_alarm_of_room(app, rooms[1]) or Alarm(press_count=0)).press_count == STORM,
               what="every press of the storm to be counted")
    chatty, quiet = _alarm_of_room(app, rooms[1]), _alarm_of_room(app, rooms[2])
    assert quiet is not None and quiet.state == "raised"
    # The other room's press came after the whole storm, yet was stored before the storm's last
    # presses were counted: it did not wait for them.
    assert quiet.raised_at < chatty.last_press_at
    with app.state.sessionmaker() as db_session:
        stored = db_session.scalar(select(func.count()).select_from(AlarmEvent)
                                   .where(AlarmEvent.alarm_id == chatty.id, AlarmEvent.kind == "press"))
    assert 1 <= stored <= service.PRESS_EVENTS_KEPT, "the storm is counted, not stored press by press"


def _statements(app, work) -> int:
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    event.listen(app.state.engine, "before_cursor_execute", counter)
    try:
        work()
    finally:
        event.remove(app.state.engine, "before_cursor_execute", counter)
    return count


def test_a_press_costs_the_same_whatever_the_alarms_history(app, rooms):
    def press(count: int = 1):
        with app.state.sessionmaker() as db_session:
            service.ingest_batch(db_session=db_session, now=utcnow(),
                                 messages=[DeviceMessage("native", "storm", "press")] * count)
            db_session.commit()

    _register(app, "storm", rooms[3])
    press()
    press(10)
    young = _statements(app, press)
    press(3000)
    old = _statements(app, press)
    assert old == young
    alarm = _alarm_of_room(app, rooms[3])
    assert alarm.press_count == 1 + 10 + 1 + 3000 + 1
    with app.state.sessionmaker() as db_session:
        page, total = service.alarm_events(db_session=db_session, alarm_id=alarm.id, limit=1)
    # "raised" and the first repeats; the 3 000 later presses live in the counter only.
    assert [event.kind for event in page] == ["raised"] and total == 2


def test_one_batch_keeps_each_devices_story_in_order(app, rooms):
    """Within a batch: duplicates dropped by counter, a reboot restarts it, test mode, newest heartbeat."""
    _register(app, "b1", rooms[5])
    with app.state.sessionmaker() as db_session:
        device = service.get_device(db_session=db_session, family="native", device_id="b1")
        service.set_test_mode(db_session=db_session, device=device, minutes=10, now=utcnow())
        db_session.commit()
    messages = [
        DeviceMessage("native", "b1", "press", counter=1),                 # a test press (test mode)
        DeviceMessage("native", "b2", "press", counter=7),                 # unknown: raises
        DeviceMessage("native", "b2", "press", counter=7),                 # redelivered: dropped
        DeviceMessage("native", "b2", "offline"),
        DeviceMessage("native", "b2", "online"),                           # rebooted: counters restart
        DeviceMessage("native", "b2", "press", counter=7),                 # a new press, counted
        DeviceMessage("native", "b3", "heartbeat", battery=80),
        DeviceMessage("native", "b3", "heartbeat", battery=15),            # the newest wins
    ]
    with app.state.sessionmaker() as db_session:
        batch = service.ingest_batch(db_session=db_session, messages=messages, now=utcnow())
        db_session.commit()
    assert batch.duplicates == 1
    with app.state.sessionmaker() as db_session:
        alarms = {a.device.device_id: a for a in db_session.scalars(select(Alarm)).unique()}
        assert alarms["b1"].is_test and alarms["b1"].state == "resolved"
        assert alarms["b2"].press_count == 2 and alarms["b2"].state == "raised"
        heartbeat = service.get_device(db_session=db_session, family="native", device_id="b3")
        assert heartbeat.battery == 15 and heartbeat.online is True


def test_a_button_press_joins_a_phone_alarm_opened_by_another_process_meanwhile(pg_database, monkeypatch):
    """PostgreSQL, several processes: the room's alarm appears between the lookup and the insert."""
    from location_ops.db import make_engine, make_sessionmaker
    from location_ops.rooms.models import Room
    from tests.conftest import _empty_tables

    engine = make_engine(pg_database)
    sessionmaker = make_sessionmaker(engine)
    try:
        with sessionmaker() as db_session:
            room = Room(number=8, name="Room 8", active=True)
            db_session.add(room)
            db_session.flush()
            service.register_device(db_session=db_session, family="native", device_id="r8", room_id=room.id,
                                    label="", now=utcnow())
            db_session.commit()
            room_id = room.id
        real_open_alarm = service.open_alarm
        raced = []

        def open_alarm_then_race(*, db_session, open_key):
            found = real_open_alarm(db_session=db_session, open_key=open_key)
            if not raced:  # once: another process (a worker's phone) commits the room's alarm just now
                raced.append(True)
                monkeypatch.setattr(service, "open_alarm", real_open_alarm)
                with sessionmaker() as other:
                    service.raise_alarm(db_session=other, now=utcnow(), source="phone", room_id=room_id)
                    other.commit()
            return found

        monkeypatch.setattr(service, "open_alarm", open_alarm_then_race)
        with sessionmaker() as db_session:
            batch = service.ingest_batch(db_session=db_session, now=utcnow(),
                                         messages=[DeviceMessage("native", "r8", "press")])
            db_session.commit()
        assert raced
        with sessionmaker() as db_session:
            alarms = list(db_session.scalars(select(Alarm).where(Alarm.room_id == room_id)).unique())
        assert len(alarms) == 1, "one open alarm per room, even across processes"
        assert alarms[0].press_count == 2 and not batch.raised
    finally:
        engine.dispose()
        _empty_tables(pg_database)
