"""Broker limits on purpose: the tests' brokers use deploy/mosquitto.conf's, and dropped messages are shown.

A real Mosquitto with a tiny queue (max_queued_messages 5, $SYS every second) drops
what a persistent session cannot take; the broker watch reads
``$SYS/broker/publish/messages/dropped`` and the warning reaches the devices page,
the alarms page and the reception board as a host sees them.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
import uuid

import httpx
import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from location_ops.alarms import service
from location_ops.alarms.broker_watch import BrokerWatch
from location_ops.alarms.models import BridgeStatus
from location_ops.app import create_app
from location_ops.clock import utcnow
from tests.alarms.conftest import LiveApp, SSEReader, alarm_count, publish, wait_connected, wait_until
from tests.conftest import PASSWORD, login
from tests.services import DEPLOY_MOSQUITTO_CONF, LIMIT_OPTIONS, MosquittoBroker

WARNING = "The MQTT broker dropped messages"
TINY = {"max_queued_messages": 5, "sys_interval": 1}


def _options(text: str) -> dict[str, str]:
    """A Mosquitto configuration's options (first word of each non-comment line -> the rest)."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"\s*([a-z_0-9]+)\s+(.*?)\s*$", line)
        if match and not line.lstrip().startswith("#"):
            found[match.group(1)] = match.group(2)
    return found


def _broker_warnings(sessionmaker, settings, now=None) -> list[service.DeviceWarning]:
    with sessionmaker() as db_session:
        return [w for w in service.device_warnings(db_session=db_session, now=now or utcnow(),
                                                   settings=settings)
                if w.kind == "broker_dropped"]


def _status(sessionmaker, site) -> BridgeStatus | None:
    with sessionmaker() as db_session:
        return db_session.get(BridgeStatus, site)


# --- the tests' brokers run with the deploy file's limits ---------------------------------

def test_the_tests_broker_has_the_deploy_files_queue_limits(mosquitto):
    deploy = _options(DEPLOY_MOSQUITTO_CONF.read_text())
    generated = _options(mosquitto.config_path.read_text())
    # Set on purpose, well above Mosquitto's default of 1000 that silently drops presses.
    assert int(deploy["max_queued_messages"]) >= 10_000
    assert generated["max_queued_messages"] == deploy["max_queued_messages"]
    for option in LIMIT_OPTIONS:
        if option in deploy:
            assert generated[option] == deploy[option], option
    # Its own listener and persistence, not the deploy file's.
    assert generated["listener"] == f"{mosquitto.port} 127.0.0.1"
    assert generated["persistence_location"] != deploy["persistence_location"]


def test_a_broker_can_override_one_limit_and_keeps_the_others():
    broker = MosquittoBroker.start(limits=TINY)
    try:
        deploy = _options(DEPLOY_MOSQUITTO_CONF.read_text())
        generated = _options(broker.config_path.read_text())
        assert generated["max_queued_messages"] == "5" and generated["sys_interval"] == "1"
        assert generated["max_inflight_messages"] == deploy["max_inflight_messages"]
    finally:
        broker.close()
    with pytest.raises(ValueError):
        MosquittoBroker.start(limits={"listener": "1"})


# --- the rule: which readings of the counter are new drops --------------------------------

def test_growth_rule_of_the_dropped_counter(db, settings):
    site = f"u{uuid.uuid4().hex[:8]}"  # not the app's site: no watch of the session broker writes this row
    t0 = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.UTC)

    def reading(value: int, minutes: int) -> bool:
        grew = service.record_broker_dropped(db_session=db, site=site, dropped=value,
                                             now=t0 + dt.timedelta(minutes=minutes))
        db.commit()
        return grew

    def shown(minutes: float) -> list[str]:
        return [w.message for w in service.device_warnings(db_session=db, now=t0 + dt.timedelta(minutes=minutes),
                                                           settings=settings, site=site)
                if w.kind == "broker_dropped"]

    assert reading(0, 0) is False and reading(0, 1) is False
    assert shown(1) == []
    assert reading(45, 2) is True
    assert db.get(BridgeStatus, site).broker_dropped_at == t0 + dt.timedelta(minutes=2)
    assert len(shown(3)) == 1 and "45 since the broker started" in shown(3)[0]
    assert reading(45, 5) is False  # the same count again (retained, or another process): nothing new
    assert db.get(BridgeStatus, site).broker_dropped_at == t0 + dt.timedelta(minutes=2)
    assert reading(0, 10) is False  # the broker restarted: its counter starts again at 0
    assert db.get(BridgeStatus, site).broker_dropped == 0
    assert len(shown(11)) == 1  # what was lost before the restart stays lost: still warned about
    assert reading(3, 12) is True  # drops after the restart
    assert reading(2, 20) is True  # restarted again and dropped again before the first reading: below, not 0
    assert db.get(BridgeStatus, site).broker_dropped_at == t0 + dt.timedelta(minutes=20)
    hours = settings.broker_dropped_warning_hours
    assert len(shown(20 + hours * 60 - 1)) == 1
    assert shown(20 + hours * 60 + 1) == []
    # A site whose first reading ever is already above 0 (dropped while the app was down) is warned about.
    fresh = f"v{uuid.uuid4().hex[:8]}"
    assert service.record_broker_dropped(db_session=db, site=fresh, dropped=7, now=t0) is True


def test_the_watch_ignores_unreadable_readings(settings, app):
    watch = BrokerWatch(settings=settings, sessionmaker=app.state.sessionmaker, hub=None)
    assert watch.handle(b"lots") is False
    assert watch.handle(b"-3") is False
    assert watch.handle(b"\xff") is False
    assert _status(app.state.sessionmaker, settings.site) is None
    assert watch.handle(b"12") is True and watch.handle(b"12") is False
    assert _status(app.state.sessionmaker, settings.site).broker_dropped == 12


# --- a real broker that drops ------------------------------------------------------------

def test_presses_dropped_while_the_app_was_down_put_the_warning_on_the_devices_page(settings, make_user):
    """The app's own persistent session overflows while the app is stopped: the app says so when back."""
    broker = MosquittoBroker.start(limits=TINY)
    try:
        app_settings = settings.model_copy(update={"mqtt_url": broker.url})
        site = app_settings.site
        first = create_app(app_settings)
        with TestClient(first):
            wait_connected(first)  # the bridge's persistent session and its subscriptions now exist
            wait_until(lambda: first.state.broker_watch.last_reading is not None, what="a first $SYS reading")
            assert _broker_warnings(first.state.sessionmaker, app_settings) == []
        # The app is down; 50 buttons press. The broker keeps 5 for the app's session and drops 45.
        publish(broker.url, *[(f"location-ops/{site}/devices/lost{i}/event", json.dumps({"event": "press"}), False)
                              for i in range(50)])
        host = make_user("host")
        again = create_app(app_settings)
        with TestClient(again) as client:
            sessionmaker = again.state.sessionmaker
            # $SYS may first show a count from the middle of the burst; the final one follows within a second.
            wait_until(lambda: (_status(sessionmaker, site) or BridgeStatus()).broker_dropped == 45, timeout=20,
                       what="the broker's dropped count")
            warnings = _broker_warnings(sessionmaker, app_settings)
            assert len(warnings) == 1 and "45 since the broker started" in warnings[0].message
            # What the broker kept arrives; what it dropped never will.
            wait_until(lambda: alarm_count(sessionmaker) == 5, what="the 5 queued presses")
            assert login(client, host.username, PASSWORD).status_code == 303
            for path in ("/devices", "/alarms", "/reception/board"):
                page = html.unescape(client.get(path).text)
                assert WARNING in page and "45 since the broker started" in page, path
                assert "deploy/mosquitto.conf" in page, path
    finally:
        broker.close()


def _offline_session(url: str, topic: str) -> None:
    """A persistent MQTT 5 session subscribed to ``topic`` that then goes away (a consumer that is offline)."""
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"offline-{uuid.uuid4().hex[:6]}",
                         protocol=mqtt.MQTTv5)
    subscribed = threading.Event()
    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 300
    client.connect(host, int(port), clean_start=False, properties=properties)
    client.loop_start()
    try:
        assert subscribed.wait(10), "the broker did not confirm the subscription"
    finally:
        client.disconnect()
        client.loop_stop()


def test_drops_while_the_app_runs_reach_the_open_screens_and_the_board(settings, make_user):
    """Another persistent client's queue overflows while the app runs: a device event, then the board says so.

    12 messages: the offline session keeps 5 and loses 7; the app's bridge, connected, takes all 12.
    """
    broker = MosquittoBroker.start(limits=TINY)
    try:
        app_settings = settings.model_copy(update={"mqtt_url": broker.url})
        site = app_settings.site
        app = create_app(app_settings)
        host = make_user("host")
        with LiveApp(app) as live:
            wait_connected(app)
            wait_until(lambda: app.state.broker_watch.last_reading == 0, what="the first $SYS reading")
            token = httpx.post(f"{live.url}/api/v1/auth/login",
                               json={"username": host.username, "password": PASSWORD}).json()["access_token"]
            screen = SSEReader(f"{live.url}/api/v1/events", {"Authorization": f"Bearer {token}"})
            try:
                screen.wait_for(lambda kind, data: kind == "hello")
                _offline_session(broker.url, f"location-ops/{site}/devices/#")
                publish(broker.url, *[(f"location-ops/{site}/devices/hb{i}/event",
                                       json.dumps({"event": "heartbeat", "seq": i}), False) for i in range(12)])
                screen.wait_for(lambda kind, data: kind == "device" and data == {"what": "broker", "dropped": 7})
            finally:
                screen.close()
            with httpx.Client(base_url=live.url) as browser:
                assert login(browser, host.username, PASSWORD).status_code == 303
                board = html.unescape(browser.get("/reception/board").text)
            assert WARNING in board and "7 since the broker started" in board
            assert 'class="rx-general-warning rx-warning-broker_dropped"' in board
            # The app's own session took every heartbeat: nothing of its own was dropped, the count is the broker's.
            assert _status(app.state.sessionmaker, site).broker_dropped == 7
    finally:
        broker.close()
