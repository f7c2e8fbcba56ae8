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
from sqlalchemy import func, select

from location_ops.alarms.models import Alarm, AlarmEvent, Device
from tests.alarms.conftest import LiveApp, SSEReader, alarm_count, publish, wait_until
from tests.services import MosquittoBroker, free_port

#: Presses from distinct buttons in the SIGKILL storm (today's ingest stores about 57 a second).
STORM = 2000
#: Presses of the one chatty button, and as many from distinct buttons, in the mid-batch storm.
BATCH_STORM = 1000
#: How long the restarted app may take to work through the rest (today's: about 35 s for STORM; more
#: on a loaded machine), and to start.
RECOVERY_SECONDS = 150
STARTUP_SECONDS = 45
#: SIGKILLs per storm: a kill can land just after a commit, before the next message is taken.
KILL_ROUNDS = 3


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
    """Sessions that only read, for polling the app's database from the test.

    On SQLite the app's engine starts every transaction with BEGIN IMMEDIATE; a poll that took
    the write lock would wait for the app's commits and so land just after one, where a kill
    finds nothing in flight. A plain engine's reads (WAL) never wait for the app.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker as plain_sessionmaker

    from location_ops.db import make_engine, make_sessionmaker

    if settings.database_url.startswith("sqlite"):
        engine = create_engine(settings.database_url)
        yield plain_sessionmaker(engine)
    else:
        engine = make_engine(settings.database_url)
        yield make_sessionmaker(engine)
    engine.dispose()


def _press(site: str, device: str, seq: int) -> tuple[str, str, bool]:
    return f"location-ops/{site}/devices/{device}/event", json.dumps({"event": "press", "seq": seq}), False


def _alarms_by_device(sessionmaker) -> dict[str, list[tuple[int, int]]]:
    """device id -> [(alarm's presses, its "press" events)] for every alarm."""
    with sessionmaker() as db_session:
        press_events = dict(db_session.execute(
            select(AlarmEvent.alarm_id, func.count()).where(AlarmEvent.kind == "press").group_by(AlarmEvent.alarm_id)
        ).all())
        rows = db_session.execute(select(Alarm.id, Alarm.press_count, Device.device_id)
                                  .join(Device, Alarm.device_pk == Device.id)).all()
    found: dict[str, list[tuple[int, int]]] = {}
    for alarm_id, press_count, device_id in rows:
        found.setdefault(device_id, []).append((press_count, press_events.get(alarm_id, 0)))
    return found


def _presses_recorded(press_count: int, press_events: int) -> int:
    """Presses an alarm accounts for: its counter, or (ingest that stores each press) its first + press events."""
    return max(press_count, 1 + press_events)


def _wait_accounted(accounted, expected: int, at_kills: list[int], sessionmaker) -> None:
    """Wait (bounded, within pytest's 120 s per test) until ``expected`` presses are accounted for."""
    try:
        wait_until(lambda: accounted() >= expected, timeout=RECOVERY_SECONDS, what="every press")
    except AssertionError:
        found = _alarms_by_device(sessionmaker)
        raise AssertionError(f"presses lost: {accounted()} of {expected} accounted for {RECOVERY_SECONDS}s after "
                             f"the last restart (at the kills: {at_kills}); alarms of {len(found)} buttons; "
                             f"chatty: {found.get('chatty')}") from None


def _wait_ready(process: subprocess.Popen, port: int, log_path, when: str) -> None:
    try:
        wait_until(lambda: process.poll() is not None or _ready(port), timeout=STARTUP_SECONDS,
                   what="the app to be ready")
        assert process.poll() is None, f"the app exited with {process.returncode}"
    except AssertionError as error:
        tail = log_path.read_text(errors="replace").splitlines()[-30:]
        raise AssertionError(f"{error} ({when}); its log ends:\n" + "\n".join(tail)) from None


def _storm_with_kills(settings, sessionmaker, mosquitto, log_path, storm: list, accounted) -> list[int]:
    """Publish the whole storm to a frozen app, SIGKILL it mid-way (up to KILL_ROUNDS times); wait for every press.

    The app is frozen (SIGSTOP) while the storm is published, so every message is with the broker
    (or in the app's socket) before the app stores one: a fast batch ingest cannot have worked
    through it before the first kill, which comes as soon as the first alarm is stored. The
    restarted app is killed again as soon as it stored more, while the storm is not worked
    through (a kill can land just after a commit, where nothing is in flight). Returns what was
    accounted for at each kill.
    """
    port = free_port()
    at_kills: list[int] = []
    app_process = _serve(settings, port, log_path)
    try:
        _wait_ready(app_process, port, log_path, "before the storm")  # subscribed: its session exists
        before = accounted()
        app_process.send_signal(signal.SIGSTOP)
        try:
            publish(mosquitto.url, *storm)
        finally:
            app_process.send_signal(signal.SIGCONT)
        for kill in range(KILL_ROUNDS):
            if kill:
                app_process = _serve(settings, port, log_path)
            wait_until(lambda: accounted() > before, timeout=STARTUP_SECONDS,  # noqa: B023
                       what=f"the app to store more of the storm before kill {kill + 1} (at the kills: {at_kills})")
            app_process.send_signal(signal.SIGKILL)
            app_process.wait(timeout=10)
            before = accounted()
            at_kills.append(before)
            if kill == 0:
                # The kill must have caught presses in flight or queued, or this run shows nothing.
                assert 0 < before < len(storm), (
                    f"the kill came too late: {before} of the {len(storm)} published presses were already stored, "
                    "so no press was in flight or queued at the kill; make the storm bigger")
            if before >= len(storm):
                break  # worked through after a restart: nothing left to be in flight at another kill
        app_process = _serve(settings, port, log_path)
        _wait_accounted(accounted, len(storm), at_kills, sessionmaker)
    finally:
        if app_process.poll() is None:
            app_process.kill()
            app_process.wait(timeout=10)
    return at_kills


@pytest.mark.timeout(300)  # today's ingest takes 35-60 s per 2 000 presses, and restarts
def test_sigkill_mid_storm_loses_no_press(settings, sessionmaker, mosquitto, tmp_path):
    """A storm of presses from distinct buttons; the app SIGKILLed while working through it (several times)."""
    devices = [f"k{i}" for i in range(STORM)]
    storm = [_press(settings.site, device, 1) for device in devices]
    _storm_with_kills(settings, sessionmaker, mosquitto, tmp_path / "app.log", storm, lambda: alarm_count(sessionmaker))
    found = _alarms_by_device(sessionmaker)
    assert set(found) == set(devices)
    # One alarm per button, and its press counted once (a redelivered press is a duplicate by its seq).
    doubled = {device: alarms for device, alarms in found.items() if alarms != [(1, 0)]}
    assert not doubled, f"{len(doubled)} buttons have more than one alarm or press, e.g. {list(doubled.items())[:5]}"


@pytest.mark.timeout(300)  # today's ingest takes 35-60 s per 2 000 presses, and restarts
def test_sigkill_mid_batch_loses_nothing(settings, sessionmaker, mosquitto, tmp_path):
    """One button pressing over and over amid first presses of distinct buttons; SIGKILL while it is worked through."""
    others = [f"o{i}" for i in range(BATCH_STORM)]
    storm = []
    for i, device in enumerate(others):  # interleaved: batches hold repeated and first presses both
        storm.append(_press(settings.site, "chatty", i + 1))
        storm.append(_press(settings.site, device, 1))

    def accounted() -> int:
        return sum(_presses_recorded(*alarm) for alarms in _alarms_by_device(sessionmaker).values() for alarm in alarms)

    _storm_with_kills(settings, sessionmaker, mosquitto, tmp_path / "app.log", storm, accounted)
    found = _alarms_by_device(sessionmaker)
    assert set(found) == {"chatty", *others}
    assert all(alarms == [(1, 0)] for device, alarms in found.items() if device != "chatty"), found
    assert len(found["chatty"]) == 1, "the chatty button's presses must stay on its one open alarm"
    assert _presses_recorded(*found["chatty"][0]) >= BATCH_STORM


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

