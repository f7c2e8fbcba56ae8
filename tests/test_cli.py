"""The `location-ops` command, run as a subprocess with its settings in the environment."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from location_ops.accounts import service
from location_ops.accounts.models import User
from location_ops.app import create_app
from location_ops.config import Settings
from location_ops.db import make_engine, make_sessionmaker
from location_ops.migrate import upgrade
from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "location-ops"
PASSWORD = "a-long-cli-password"


def run(url: str, tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "LOCATION_OPS_DATABASE_URL": url, "LOCATION_OPS_VAR_DIR": str(tmp_path / "var"),
           "LOCATION_OPS_ARGON2_TIME_COST": "1", "LOCATION_OPS_ARGON2_MEMORY_KIB": "1024",
           "LOCATION_OPS_DEFAULT_LANGUAGE": "en"}
    return subprocess.run([str(CLI), *args], input=stdin, env=env, capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def settings_for(url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=url, mqtt_url="mqtt://127.0.0.1:9", var_dir=tmp_path / "var",
                    argon2_time_cost=1, argon2_memory_kib=1024, default_language="en")


def usernames(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db_session:
            return set(db_session.scalars(select(User.username)))
    finally:
        engine.dispose()


def add_user(url: str, tmp_path: Path, username: str) -> None:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db_session:
            service.create_user(db_session=db_session, settings=settings_for(url, tmp_path), username=username,
                                password=PASSWORD, role="worker")
            db_session.commit()
    finally:
        engine.dispose()


def test_migrate_then_user_create_reads_the_password_from_stdin_and_the_account_logs_in(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrated = run(url, tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "The database is up to date." in migrated.stdout
    created = run(url, tmp_path, "user", "create", "--role", "host", "--username", "Reception", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert "Created host account id=1." in created.stdout
    assert PASSWORD not in created.stdout + created.stderr
    with TestClient(create_app(settings_for(url, tmp_path))) as client:
        response = login(client, "reception", PASSWORD)
        assert response.status_code == 303
        assert client.get("/api/v1/me", headers={"Authorization": "Bearer x"}).status_code == 401
        assert "Reception" in client.get("/account").text
    again = run(url, tmp_path, "migrate")
    assert again.returncode == 0  # migrating twice is harmless


def test_user_create_refuses_bad_input_with_a_sentence(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    bad_role = run(url, tmp_path, "user", "create", "--role", "boss", "--username", "x", stdin=PASSWORD + "\n")
    assert bad_role.returncode != 0
    assert "invalid choice: 'boss'" in bad_role.stderr and "Traceback" not in bad_role.stderr
    short = run(url, tmp_path, "user", "create", "--role", "host", "--username", "x", stdin="short\n")
    assert short.returncode != 0
    assert "The password must be at least 10 characters long." in short.stderr
    taken = [run(url, tmp_path, "user", "create", "--role", "worker", "--username", name, stdin=PASSWORD + "\n")
             for name in ("roos", "ROOS")]
    assert taken[0].returncode == 0 and taken[1].returncode != 0
    assert "That username is taken." in taken[1].stderr
    assert usernames(url) == {"roos"}


def test_user_create_on_an_unmigrated_database_says_to_migrate(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run(url, tmp_path, "user", "create", "--role", "host", "--username", "x", stdin=PASSWORD + "\n")
    assert result.returncode != 0 and "Run `location-ops migrate` first." in result.stderr


def test_an_unreachable_database_is_a_sentence_not_a_traceback(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", tmp_path, "user", "create", "--role", "host",
                 "--username", "x", stdin=PASSWORD + "\n")
    assert result.returncode != 0
    assert "The database cannot be reached" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'live.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"lo_cli_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    return url


def test_backup_and_restore_round_trip(database, tmp_path):
    add_user(database, tmp_path, "before-backup")
    archive = tmp_path / "backups" / "nightly.backup"
    made = run(database, tmp_path, "backup", str(archive), "--unencrypted")
    assert made.returncode == 0, made.stderr
    assert archive.stat().st_size > 0
    add_user(database, tmp_path, "after-backup")
    assert usernames(database) == {"before-backup", "after-backup"}
    restored = run(database, tmp_path, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert usernames(database) == {"before-backup"}
    # The restored database is still at the newest revision: the app starts on it.
    with TestClient(create_app(settings_for(database, tmp_path))) as client:
        assert login(client, "before-backup", PASSWORD).status_code == 303


def test_restore_refuses_a_missing_or_foreign_file(database, tmp_path):
    add_user(database, tmp_path, "kept")
    missing = run(database, tmp_path, "restore", str(tmp_path / "nope.backup"))
    assert missing.returncode != 0 and "No backup at" in missing.stderr
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a backup at all" * 100)
    refused = run(database, tmp_path, "restore", str(junk))
    assert refused.returncode != 0
    assert "Nothing restored" in refused.stderr and "Traceback" not in refused.stderr
    assert usernames(database) == {"kept"}


def test_pg_tools_are_found_beside_the_server_when_not_on_the_path(monkeypatch, tmp_path):
    from location_ops.privacy.backup import pg_tool
    from tests.services import _pg_bindir

    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    found = Path(pg_tool("pg_dump"))
    assert found.name == "pg_dump" and found.parent == _pg_bindir()
    assert Path(pg_tool("pg_restore")).parent == _pg_bindir()


def test_simulate_sends_a_native_press_to_the_broker(mosquitto, tmp_path):
    import json
    import threading

    import paho.mqtt.client as mqtt

    site = f"sim{uuid.uuid4().hex[:6]}"
    received: list[tuple[str, dict]] = []
    subscribed, arrived = threading.Event(), threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"cli-test-{site}")
    client.on_subscribe = lambda *_args: subscribed.set()

    def on_message(_client, _userdata, message) -> None:
        received.append((message.topic, json.loads(message.payload)))
        arrived.set()

    client.on_message = on_message
    client.on_connect = lambda c, *_args: c.subscribe(f"location-ops/{site}/devices/#", qos=1)
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    try:
        assert subscribed.wait(10)
        result = run(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path, "simulate", "press", "--family", "native",
                     "--device", "room-4", "--site", site, "--mqtt", mosquitto.url)
        assert result.returncode == 0, result.stderr
        assert "press: 1/1 message(s) from native room-4 taken by the broker" in result.stdout
        assert arrived.wait(10)
    finally:
        client.loop_stop()
        client.disconnect()
    topic, payload = received[0]
    assert topic == f"location-ops/{site}/devices/room-4/event" and payload["event"] == "press"


def test_simulate_says_when_the_broker_cannot_be_reached(tmp_path):
    from tests.services import free_port

    result = run(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path, "simulate", "press", "--family", "native",
                 "--device", "room-1", "--mqtt", f"mqtt://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "could not reach the broker" in result.stderr and "Traceback" not in result.stderr


def test_simulate_defaults_to_the_demos_broker_and_site():
    from location_ops.cli import build_parser

    settings = Settings(demo_mqtt_port=1999, site="east")
    args = build_parser(settings).parse_args(["simulate", "test", "--family", "shelly_gen1", "--device", "b"])
    assert (args.mqtt, args.site, args.count) == ("mqtt://127.0.0.1:1999", "east", 1)


def test_serve_takes_host_and_port_flags_over_the_environment(tmp_path, mosquitto):
    import signal

    import httpx

    from tests.services import free_port, wait_for_port

    url = f"sqlite:///{tmp_path / 'serve.db'}"
    assert run(url, tmp_path, "migrate").returncode == 0
    port = free_port()
    env = {**os.environ, "LOCATION_OPS_DATABASE_URL": url, "LOCATION_OPS_VAR_DIR": str(tmp_path / "var"),
           "LOCATION_OPS_MQTT_URL": mosquitto.url, "LOCATION_OPS_SITE": f"s{uuid.uuid4().hex[:6]}",
           "LOCATION_OPS_HOST": "192.0.2.1", "LOCATION_OPS_PORT": "9"}  # both overridden by the flags
    process = subprocess.Popen([str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, timeout=60, process=process)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0]
    assert f"Uvicorn running on http://127.0.0.1:{port}" in output


def test_after_migrate_a_fresh_install_takes_a_booking_on_the_default_shifts(database, tmp_path, mosquitto):
    import datetime as dt

    from location_ops.clock import local_today
    from location_ops.contracts import service as contracts_service
    from location_ops.contracts.models import ContractStatus
    from location_ops.rooms import service as rooms_service
    from tests.conftest import api_token

    assert run(database, tmp_path, "migrate").returncode == 0  # as an operator would, on the new database
    settings = settings_for(database, tmp_path).model_copy(update={"mqtt_url": mosquitto.url,
                                                                    "site": f"f{uuid.uuid4().hex[:6]}"})
    with TestClient(create_app(settings)) as client:
        with client.app.state.sessionmaker() as db_session:
            room = rooms_service.create_room(db_session=db_session, settings=settings, number=1)
            worker = service.create_user(db_session=db_session, settings=settings, username="first-worker",
                                         password=PASSWORD, role="worker")
            contracts_service.create_contract(db_session=db_session, worker=worker, starts_on=local_today(),
                                              status=ContractStatus.ACTIVE)
            db_session.commit()
            room_id = room.id
        headers = api_token(client, "first-worker", PASSWORD)
        tomorrow = local_today() + dt.timedelta(days=1)
        slots = client.get(f"/api/v1/shifts?date={tomorrow}", headers=headers).json()
        assert {(slot["shift"], slot["available"]) for slot in slots} == {("day", True), ("evening", True)}
        booked = client.post("/api/v1/bookings", json={"room_id": room_id, "date": str(tomorrow), "shift": "evening"},
                             headers=headers)
        assert booked.status_code == 201, booked.text
        assert booked.json()["price_cents"] == 12000
