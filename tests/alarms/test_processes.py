"""Two app processes on one PostgreSQL and one Mosquitto work as one app (DESIGN §14).

A host screen on each process gets every alarm, room and log event, whichever process
ingests or stores it, and still after the ingesting process is killed.
"""

from __future__ import annotations

import json
import signal
import uuid

import httpx

from location_ops.accounts import service as accounts_service
from location_ops.config import Settings
from location_ops.db import make_engine, make_sessionmaker
from location_ops.migrate import upgrade
from location_ops.rooms.models import Room
from tests.alarms.conftest import publish, wait_until
from tests.alarms.test_resilience import _serve
from tests.alarms.test_streams import Stream
from tests.conftest import PASSWORD
from tests.services import free_port


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_event(stream: Stream, predicate) -> dict:
    """The next event matching ``predicate``; a stream that stays silent fails on its read timeout."""
    while True:
        kind, data = stream.next_event()
        if predicate(kind, data):
            return data


def test_screens_on_both_processes_get_every_event(pg_server, mosquitto, tmp_path):
    url = pg_server.create_database(f"lo_procs_{uuid.uuid4().hex[:6]}")
    upgrade(url)
    site = f"p{uuid.uuid4().hex[:6]}"
    settings = Settings(database_url=url, mqtt_url=mosquitto.url, site=site, mqtt_client_id=f"lo-procs-{site}",
                        var_dir=tmp_path, secret_key="t", argon2_time_cost=1, argon2_memory_kib=1024)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db_session:
        host = accounts_service.create_user(db_session=db_session, settings=settings, username="host-procs",
                                            password=PASSWORD, role="host")
        room = Room(number=4, name="Room 4", active=True)
        db_session.add(room)
        db_session.commit()
        room_id = room.id
    engine.dispose()
    ports = [free_port(), free_port()]
    first = _serve(settings, ports[0], tmp_path / "first.log")
    wait_until(lambda: _ready(ports[0]) and httpx.get(f"http://127.0.0.1:{ports[0]}/readyz").status_code == 200,
               timeout=30, what="the first app")
    second = _serve(settings, ports[1], tmp_path / "second.log")
    processes = [first, second]
    clients = []
    try:
        wait_until(lambda: _ready(ports[1]), timeout=30, what="the second app")
        token = httpx.post(f"http://127.0.0.1:{ports[0]}/api/v1/auth/login",
                           json={"username": host.username, "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        screens = []
        for port in ports:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
            clients.append(client)
            screen = Stream(client, "/api/v1/events", headers=headers)
            assert screen.next_event()[0] == "hello"
            screens.append(screen)

        # An alarm ingested by the first process (it holds the lock) reaches both screens.
        press = lambda device: (f"location-ops/{site}/devices/{device}/event", '{"event":"press"}', False)  # noqa: E731
        publish(mosquitto.url, press("one"))
        for screen in screens:
            _wait_event(screen, lambda kind, data: kind == "alarm" and data["device_id"] == "one")

        # A log entry (and its room) stored through the second process reaches the first's screen.
        response = clients[1].post("/api/v1/log", json={"kind": "visitor_in", "room_id": room_id}, headers=headers)
        assert response.status_code == 201, response.text
        entry_id = response.json()["id"]
        for screen in screens:
            _wait_event(screen, lambda kind, data: kind == "room" and data.get("room_id") == room_id)
            _wait_event(screen, lambda kind, data: kind == "log" and data["id"] == entry_id)

        # An alarm raised from a phone on the second process reaches the first's screen.
        raised = clients[1].post("/api/v1/alarms", json={"room_id": room_id}, headers=headers).json()
        for screen in screens:
            _wait_event(screen, lambda kind, data: kind == "alarm" and data["id"] == raised["id"])

        # The ingesting process dies; the second takes over and its screen still hears presses.
        assert "holds the ingest lock" not in (tmp_path / "second.log").read_text(), "only one process ingests"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        publish(mosquitto.url, press("two"))
        wait_until(lambda: "holds the ingest lock" in (tmp_path / "second.log").read_text(), timeout=30,
                   what="the second process to take over")
        data = _wait_event(screens[1], lambda kind, data: kind == "alarm" and data["device_id"] == "two")
        assert data["what"] == "raised"
    finally:
        for client in clients:
            client.close()
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
