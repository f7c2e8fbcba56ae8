"""No alarm lost: the app SIGKILLed mid-storm and restarted; Mosquitto restarted under the bridge."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from location_ops.alarms.models import Alarm
from tests.alarms.conftest import LiveApp, SSEReader, alarm_count, publish, wait_until
from tests.services import MosquittoBroker, free_port

PRESSES = 40


def _serve(settings, port: int, log_path) -> subprocess.Popen:
    env = {**os.environ, "LOCATION_OPS_DATABASE_URL": settings.database_url, "LOCATION_OPS_MQTT_URL": settings.mqtt_url,
           "LOCATION_OPS_SITE": settings.site, "LOCATION_OPS_MQTT_CLIENT_ID": settings.mqtt_client_id,
           "LOCATION_OPS_PORT": str(port), "LOCATION_OPS_SECRET_KEY": "test", "LOCATION_OPS_VAR_DIR": str(settings.var_dir),
           "LOCATION_OPS_BRIDGE_RECONNECT_MAX_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "location_ops.cli", "serve"], env=env,
                            stdout=open(log_path, "ab"), stderr=subprocess.STDOUT)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def sessionmaker(settings):
    from location_ops.db import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_sigkill_mid_storm_loses_no_press(settings, sessionmaker, mosquitto, tmp_path):
    port = free_port()
    app_process = _serve(settings, port, tmp_path / "app.log")
    try:
        wait_until(lambda: _ready(port), timeout=30, what="the app to be ready")
        site = settings.site
        presses = [(f"location-ops/{site}/devices/k{i}/event", json.dumps({"event": "press", "seq": 1}), False)
                   for i in range(PRESSES)]
        publish(mosquitto.url, *presses[:10])
        # Kill it as soon as it has started storing: some presses are stored, some in flight, some queued.
        wait_until(lambda: alarm_count(sessionmaker) >= 1, what="the first alarms")
        app_process.send_signal(signal.SIGKILL)
        app_process.wait(timeout=10)
        stored_before = alarm_count(sessionmaker)
        publish(mosquitto.url, *presses[10:])  # while the app is dead: the broker queues them for its session
        app_process = _serve(settings, port, tmp_path / "app.log")
        wait_until(lambda: alarm_count(sessionmaker) == PRESSES, timeout=30, what="every press's alarm")
    finally:
        app_process.kill()
        app_process.wait(timeout=10)
    assert stored_before < PRESSES
    with sessionmaker() as db_session:
        devices = {a.device.device_id for a in db_session.scalars(select(Alarm)).unique()}
    assert devices == {f"k{i}" for i in range(PRESSES)}


def test_mosquitto_restart_screens_show_outage_and_later_presses_arrive(settings, make_user, rooms):
    broker = MosquittoBroker.start()
    try:
        app_settings = settings.model_copy(update={"mqtt_url": broker.url})
        from location_ops.app import create_app

        app = create_app(app_settings)
        host = make_user("host")
        site = app_settings.site
        with LiveApp(app) as live:
            login = httpx.post(f"{live.url}/api/v1/auth/login",
                               json={"username": host.username, "password": "correct-horse-battery"})
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            wait_until(lambda: app.state.bridge.connected, what="the bridge to connect")
            screen = SSEReader(f"{live.url}/api/v1/events", headers)
            try:
                screen.wait_for(lambda kind, data: kind == "hello")
                publish(broker.url, (f"location-ops/{site}/devices/before/event", '{"event":"press"}', False))
                screen.wait_for(lambda kind, data: kind == "alarm" and data["title"].endswith(" before"))
                broker.stop()
                screen.wait_for(lambda kind, data: kind == "device" and data == {"what": "bridge", "connected": False})
                assert httpx.get(f"{live.url}/readyz").status_code == 503
                broker._launch()  # same port, same persistence file
                screen.wait_for(lambda kind, data: kind == "device" and data == {"what": "bridge", "connected": True},
                                timeout=30)
                publish(broker.url, (f"location-ops/{site}/devices/after/event", '{"event":"press"}', False))
                screen.wait_for(lambda kind, data: kind == "alarm" and data["title"].endswith(" after"))
            finally:
                screen.close()
            assert httpx.get(f"{live.url}/readyz").status_code == 200
    finally:
        broker.close()


def test_bridge_keeps_its_session_while_the_app_is_stopped(settings, app, mosquitto):
    """Presses published while the app is down (gracefully stopped) arrive when it comes back."""
    site = settings.site
    with TestClient(app):
        wait_until(lambda: app.state.bridge.connected, what="the bridge to connect")
    publish(mosquitto.url, *[(f"location-ops/{site}/devices/q{i}/event", '{"event":"press"}', False) for i in range(5)])
    from location_ops.app import create_app

    again = create_app(settings)
    with TestClient(again):
        wait_until(lambda: alarm_count(again.state.sessionmaker) == 5, what="the queued presses")

