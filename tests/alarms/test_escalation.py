"""Escalation (siren, signed webhook, e-mail), supervision warnings and test mode."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import paho.mqtt.client as mqtt
import pytest
from aiosmtpd.controller import Controller
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from location_ops.alarms import service
from location_ops.alarms.bridge import publish_once
from location_ops.alarms.decoders import DeviceMessage
from location_ops.alarms.models import Alarm, AlarmEvent, BridgeStatus
from location_ops.clock import clock
from tests.services import free_port

T0 = dt.datetime(2026, 11, 28, 22, 0, tzinfo=dt.UTC)


class Receiver:
    """A local HTTP endpoint that records what the webhooks POST."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        self.got = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()
                outer.got.set()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content.decode())
        return "250 OK"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def _ingest(app, message, now):
    with app.state.sessionmaker() as db_session:
        result = service.ingest(db_session=db_session, message=message, now=now)
        db_session.commit()
        return result


def _register(app, family, device_id, room_id, now):
    with app.state.sessionmaker() as db_session:
        device = service.register_device(db_session=db_session, family=family, device_id=device_id, room_id=room_id,
                                         label="", now=now)
        db_session.commit()
        return device.id


def test_unacknowledged_alarm_escalates_once_to_siren_webhook_and_email(settings, app, rooms, mosquitto,
                                                                        receiver, mailbox):
    box, smtp_port = mailbox
    siren_topic = f"siren/{settings.site}"
    settings = settings.model_copy(update={
        "alarm_siren_topic": siren_topic, "alarm_webhook_urls": [receiver.url], "alarm_webhook_secret": "k3y",
        "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "alarm_email_recipients": ["security@example.org"]})
    sirens: list[bytes] = []
    siren_heard = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)
    subscribed = threading.Event()
    listener.on_subscribe = lambda *a: subscribed.set()
    listener.on_message = lambda c, u, m: (sirens.append(m.payload), siren_heard.set())
    listener.connect("127.0.0.1", mosquitto.port)
    listener.loop_start()
    listener.subscribe(siren_topic, qos=1)
    assert subscribed.wait(10)
    try:
        clock.freeze(T0)
        _register(app, "native", "r4", rooms[4], T0)
        alarm = _ingest(app, DeviceMessage("native", "r4", "press"), T0).alarm
        run = lambda now: service.run_escalations(sessionmaker=app.state.sessionmaker, settings=settings, now=now,  # noqa: E731
                                                  publish_siren=lambda t, p: publish_once(mosquitto.url, t, p))
        assert run(T0 + dt.timedelta(seconds=29)) == [], "not before 30 s"
        outcomes = run(T0 + dt.timedelta(seconds=30))
        assert [o.alarm_id for o in outcomes] == [alarm.id]
        assert run(T0 + dt.timedelta(seconds=45)) == [], "escalated once"
        assert siren_heard.wait(10)
        assert json.loads(sirens[0])["room"] == "Room 4"
        headers, body = receiver.requests[0]
        expected = "sha256=" + hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
        assert headers["X-Location-Ops-Signature"] == expected
        assert json.loads(body)["alarm_id"] == alarm.id
        assert len(box.messages) == 1 and "Room 4" in box.messages[0]
        with app.state.sessionmaker() as db_session:
            kinds = list(db_session.scalars(select(AlarmEvent.kind).where(AlarmEvent.alarm_id == alarm.id)))
        assert kinds == ["raised", "escalated", "escalation_siren", "escalation_webhook", "escalation_email"]
    finally:
        listener.loop_stop()
        listener.disconnect()


def test_acknowledged_and_test_alarms_do_not_escalate(settings, app, rooms):
    _register(app, "native", "a", rooms[1], T0)
    device_pk = _register(app, "native", "b", rooms[2], T0)
    acked = _ingest(app, DeviceMessage("native", "a", "press"), T0).alarm
    with app.state.sessionmaker() as db_session:
        service.acknowledge(db_session=db_session, alarm=db_session.get(Alarm, acked.id), user_id=None, now=T0)
        device = db_session.get(service.Device, device_pk)
        service.set_test_mode(db_session=db_session, device=device, minutes=10, now=T0)
        db_session.commit()
    tested = _ingest(app, DeviceMessage("native", "b", "press"), T0 + dt.timedelta(minutes=5)).alarm
    assert tested.is_test and tested.state == "resolved" and tested.resolution == "test"
    after_test_mode = _ingest(app, DeviceMessage("native", "b", "press"), T0 + dt.timedelta(minutes=11)).alarm
    assert not after_test_mode.is_test and after_test_mode.state == "raised"
    outcomes = service.run_escalations(sessionmaker=app.state.sessionmaker, settings=settings,
                                       now=T0 + dt.timedelta(minutes=11, seconds=29), publish_siren=None)
    assert outcomes == []
    outcomes = service.run_escalations(sessionmaker=app.state.sessionmaker, settings=settings,
                                       now=T0 + dt.timedelta(minutes=11, seconds=31), publish_siren=None)
    assert [o.alarm_id for o in outcomes] == [after_test_mode.id]


def test_device_warnings(settings, app, rooms):
    now = T0
    for name, family in (("battery-btn", "native"), ("mains", "tasmota"), ("low", "zigbee2mqtt"),
                         ("fresh", "native")):
        _register(app, family, name, rooms[1], now - dt.timedelta(days=1))
    _ingest(app, DeviceMessage("native", "battery-btn", "heartbeat"), now - dt.timedelta(hours=26))
    _ingest(app, DeviceMessage("tasmota", "mains", "heartbeat"), now - dt.timedelta(minutes=11))
    _ingest(app, DeviceMessage("zigbee2mqtt", "low", "heartbeat", battery=15), now - dt.timedelta(minutes=1))
    _ingest(app, DeviceMessage("native", "fresh", "test"), now - dt.timedelta(minutes=1))
    _ingest(app, DeviceMessage("native", "stranger", "heartbeat"), now)
    with app.state.sessionmaker() as db_session:
        service.record_bridge_state(db_session=db_session, site=settings.site, connected=True, now=now,
                                    malformed_count=0)
        db_session.commit()
        warnings = service.device_warnings(db_session=db_session, now=now, settings=settings)
        names = {d.id: d.device_id for d in service.list_devices(db_session=db_session)}
        kinds = {(w.kind, names.get(w.device_pk)) for w in warnings}
        assert ("silent", "battery-btn") in kinds and ("silent", "mains") in kinds
        assert ("low_battery", "low") in kinds
        assert not any(name == "fresh" for _kind, name in kinds)
        assert ("unassigned", "stranger") in kinds
        assert not any(w.kind == "bridge" for w in warnings)
        week_later = now + dt.timedelta(days=8)
        overdue = {names.get(w.device_pk) for w in service.device_warnings(db_session=db_session, now=week_later,
                                                                           settings=settings)
                   if w.kind == "test_overdue"}
        assert "fresh" in overdue
        # The bridge's status row goes stale when no process refreshes it: the bridge shows as down.
        stale = service.device_warnings(db_session=db_session, now=now + dt.timedelta(minutes=1), settings=settings)
        assert any(w.kind == "bridge" for w in stale)
        db_session.execute(BridgeStatus.__table__.update().values(connected=False))
        assert any(w.kind == "bridge" for w in service.device_warnings(db_session=db_session, now=now,
                                                                       settings=settings))


def test_resolved_alarms_are_purged_after_the_retention_period(settings, app, rooms):
    from location_ops.privacy.retention import purge

    with app.state.sessionmaker() as db_session:
        old, _ = service.raise_alarm(db_session=db_session, now=T0 - dt.timedelta(days=400), source="staff",
                                     room_id=rooms[1])
        service.resolve(db_session=db_session, alarm=old, user_id=None, now=T0 - dt.timedelta(days=399),
                        resolution="handled")
        recent, _ = service.raise_alarm(db_session=db_session, now=T0 - dt.timedelta(days=10), source="staff",
                                        room_id=rooms[1])
        service.resolve(db_session=db_session, alarm=recent, user_id=None, now=T0 - dt.timedelta(days=10),
                        resolution="handled")
        still_open, _ = service.raise_alarm(db_session=db_session, now=T0 - dt.timedelta(days=500), source="staff",
                                            room_id=rooms[2])
        db_session.commit()
        ids = (old.id, recent.id, still_open.id)
    clock.freeze(T0)
    with app.state.sessionmaker() as db_session:
        counts = purge(db_session=db_session, settings=settings)
        assert counts["alarms"] == 1
        left = set(db_session.scalars(select(Alarm.id)))
        assert left == {ids[1], ids[2]}, "an open alarm is never purged"
        assert not list(db_session.scalars(select(AlarmEvent).where(AlarmEvent.alarm_id == ids[0])))
