"""The bridge against a real Mosquitto: presses in, alarms committed, duplicates and junk handled."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from location_ops.alarms.models import Alarm, AlarmEvent, Device
from location_ops.alarms import decoders, service
from location_ops.clock import utcnow
from tests.alarms.conftest import alarm_count, publish, wait_connected, wait_until


def _register(app, family, device_id, room_id):
    with app.state.sessionmaker() as db_session:
        service.register_device(db_session=db_session, family=family, device_id=device_id, room_id=room_id,
                                label="", now=utcnow())
        db_session.commit()


def _events(app, alarm_id):
    with app.state.sessionmaker() as db_session:
        return list(db_session.scalars(select(AlarmEvent.kind).where(AlarmEvent.alarm_id == alarm_id)
                                       .order_by(AlarmEvent.id)))


def test_press_raises_alarm_and_repeated_shelly_counter_adds_nothing(client, app, rooms, mosquitto):
    wait_connected(app)
    _register(app, "shelly_gen1", "shellybutton1-A", rooms[4])
    press = ("shellies/shellybutton1-A/input_event/0", '{"event":"S","event_cnt":7}', False)
    publish(mosquitto.url, press, press)  # the second is a redelivered duplicate: same event_cnt
    # A later, different press in the same room, and a heartbeat as a marker that all before it was handled.
    publish(mosquitto.url, ("shellies/shellybutton1-A/input_event/0", '{"event":"S","event_cnt":8}', False),
            ("shellies/shellybutton1-A/sensor/battery", "15", False))

    def battery_seen():
        with app.state.sessionmaker() as db_session:
            return db_session.scalar(select(Device.battery).where(Device.device_id == "shellybutton1-A")) == 15

    wait_until(battery_seen, what="the heartbeat")
    with app.state.sessionmaker() as db_session:
        alarms = list(db_session.scalars(select(Alarm)).unique())
    assert len(alarms) == 1 and alarms[0].room_id == rooms[4]
    assert _events(app, alarms[0].id) == ["raised", "press"], "event_cnt 7 twice counts once; 8 adds a press"


def test_retained_esphome_on_raises_nothing(app, rooms, mosquitto):
    # ESPHome retains its button state: an old ON is waiting when the bridge subscribes.
    publish(mosquitto.url, (f"esp-{app.state.settings.site}/binary_sensor/panic_button/state", "ON", True))
    with TestClient(app):
        wait_connected(app)
        publish(mosquitto.url, (f"location-ops/{app.state.settings.site}/devices/marker/event",
                                '{"event":"press"}', False))
        wait_until(lambda: alarm_count(app.state.sessionmaker) >= 1, what="the marker press")

        def esphome_seen():
            with app.state.sessionmaker() as db_session:
                return db_session.scalar(select(Device).where(Device.family == "esphome"))

        # The press is stored first (presses go before state messages); the retained state was
        # received too, and recognised as old state rather than a press.
        wait_until(esphome_seen, what="the retained message")
        with app.state.sessionmaker() as db_session:
            alarms = list(db_session.scalars(select(Alarm)).unique())
            assert [a.device.device_id for a in alarms] == ["marker"]
    publish(mosquitto.url, (f"esp-{app.state.settings.site}/binary_sensor/panic_button/state", "", True))


def test_fifteen_buttons_at_once_give_fifteen_alarms(client, app, rooms, mosquitto):
    wait_connected(app)
    site = app.state.settings.site
    for number, room_id in rooms.items():
        _register(app, "native", f"b{number}", room_id)
    publish(mosquitto.url, *[(f"location-ops/{site}/devices/b{n}/event", json.dumps({"event": "press", "seq": 1}),
                              False) for n in rooms])
    wait_until(lambda: alarm_count(app.state.sessionmaker) == 15, what="fifteen alarms")
    with app.state.sessionmaker() as db_session:
        assert set(db_session.scalars(select(Alarm.room_id))) == set(rooms.values())


def test_malformed_storm_then_one_real_press(client, app, rooms, mosquitto):
    wait_connected(app)
    site = app.state.settings.site
    junk = [b"\xff\xfe", b"{not json", b"[1]", b'{"event": 5}', b"x" * (64 * 1024 + 10)]
    topics = [f"location-ops/{site}/devices/d{i % 7}/event" for i in range(5)] + [
        "zigbee2mqtt/storm", "shellies/storm/input_event/0", "stat/storm/RESULT", "storm/binary_sensor/b/state"]
    messages = [(topics[i % len(topics)], junk[i % len(junk)], False) for i in range(1000)]
    publish(mosquitto.url, *messages)
    publish(mosquitto.url, (f"location-ops/{site}/devices/real/event", '{"event":"press","seq":1}', False))
    wait_until(lambda: alarm_count(app.state.sessionmaker) == 1, what="the real press")
    bridge = app.state.bridge
    assert bridge.connected and bridge._thread.is_alive()
    # Every malformed message was counted; a few junk payloads are a valid state report for
    # their family (e.g. {"event": 5} on a Zigbee2MQTT topic: a message without an action).
    expected = sum(isinstance(decoders.decode(t, p, False, site=site), decoders.Malformed) for t, p, _r in messages)
    assert expected > 900
    assert bridge.malformed_count == expected
    with app.state.sessionmaker() as db_session:
        assert db_session.scalar(select(func.count()).select_from(Alarm)) == 1


def test_a_press_that_cannot_be_stored_is_redelivered_not_lost(client, app, mosquitto):
    from sqlalchemy import text

    wait_connected(app)
    site = app.state.settings.site
    with app.state.engine.begin() as connection:
        connection.execute(text("ALTER TABLE alarms RENAME TO alarms_away"))
    try:
        publish(mosquitto.url, (f"location-ops/{site}/devices/dbdown/event", '{"event":"press","seq":3}', False))
        wait_until(lambda: app.state.bridge.store_failures >= 1, what="the failed store")
    finally:
        with app.state.engine.begin() as connection:
            connection.execute(text("ALTER TABLE alarms_away RENAME TO alarms"))
    wait_until(lambda: alarm_count(app.state.sessionmaker) == 1, timeout=30, what="the redelivered press")
    with app.state.sessionmaker() as db_session:
        assert db_session.scalars(select(Alarm)).unique().one().device.device_id == "dbdown"
