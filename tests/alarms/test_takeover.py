"""Several app processes on PostgreSQL: exactly one ingests (advisory lock); another takes over."""

from __future__ import annotations

import json
import signal
import uuid

import httpx
from sqlalchemy import func, select

from location_ops.alarms.models import Alarm, AlarmEvent, Device
from location_ops.config import Settings
from location_ops.db import make_engine, make_sessionmaker
from location_ops.migrate import upgrade
from tests.alarms.conftest import alarm_count, publish, wait_until
from tests.alarms.test_resilience import _serve
from tests.services import free_port

LOCK_LINE = "holds the ingest lock"
#: Presses while both processes run, and again after the first is killed.
PRESSES = 30


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _press(site: str, device: str) -> tuple[str, str, bool]:
    # No "seq": the native family's counter would drop a second ingestion of the same message.
    return f"location-ops/{site}/devices/{device}/event", json.dumps({"event": "press"}), False


def _presses(sessionmaker) -> dict[str, list[tuple[int, int]]]:
    """device id -> [(alarm's press_count, its "press" events)]."""
    with sessionmaker() as db_session:
        events = dict(db_session.execute(select(AlarmEvent.alarm_id, func.count())
                                         .where(AlarmEvent.kind == "press").group_by(AlarmEvent.alarm_id)).all())
        rows = db_session.execute(select(Alarm.id, Alarm.press_count, Device.device_id)
                                  .join(Device, Alarm.device_pk == Device.id)).all()
    found: dict[str, list[tuple[int, int]]] = {}
    for alarm_id, press_count, device_id in rows:
        found.setdefault(device_id, []).append((press_count, events.get(alarm_id, 0)))
    return found


def _says_it_ingests(log_path) -> bool:
    return LOCK_LINE in log_path.read_text(errors="replace")


def test_second_process_takes_over_ingestion_when_the_first_dies(pg_server, mosquitto, tmp_path):
    url = pg_server.create_database(f"lo_takeover_{uuid.uuid4().hex[:6]}")
    upgrade(url)
    settings = Settings(database_url=url, mqtt_url=mosquitto.url, site=f"t{uuid.uuid4().hex[:6]}",
                        mqtt_client_id=f"lo-takeover-{uuid.uuid4().hex[:6]}", var_dir=tmp_path, secret_key="t")
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first_port, second_port = free_port(), free_port()
    first = _serve(settings, first_port, first_log)
    second = None
    site = settings.site
    try:
        wait_until(lambda: _up(first_port) and httpx.get(f"http://127.0.0.1:{first_port}/readyz").status_code == 200,
                   timeout=30, what="the first app")
        second = _serve(settings, second_port, second_log)
        wait_until(lambda: _up(second_port), timeout=30, what="the second app")
        # Both run: a message ingested by both would be a second press on its button's alarm.
        while_both = [f"both{i}" for i in range(PRESSES)]
        publish(mosquitto.url, *[_press(site, device) for device in while_both])
        wait_until(lambda: alarm_count(sessionmaker) == PRESSES, timeout=30, what="the presses while both run")
        # The second process does not ingest, yet its /readyz reports the (other process's) bridge.
        second_ready_while_both = httpx.get(f"http://127.0.0.1:{second_port}/readyz").status_code
        ingesting_before_kill = [name for name, path in (("first", first_log), ("second", second_log))
                                 if _says_it_ingests(path)]
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        after_kill = [f"after{i}" for i in range(PRESSES)]
        publish(mosquitto.url, *[_press(site, device) for device in after_kill])
        wait_until(lambda: alarm_count(sessionmaker) >= 2 * PRESSES, timeout=30,
                   what="the second process to take over")
        # A last press through the same broker: anything delivered twice before it has had its chance.
        publish(mosquitto.url, _press(site, "last"))
        wait_until(lambda: "last" in _presses(sessionmaker), timeout=30, what="the last press")
        assert _says_it_ingests(second_log), "the second process never took the ingest lock"
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    found = _presses(sessionmaker)
    engine.dispose()
    assert set(found) == {*while_both, *after_kill, "last"}
    # Every message was ingested exactly once: one alarm per button with exactly one press, no press events.
    doubled = {device: alarms for device, alarms in found.items() if alarms != [(1, 0)]}
    assert not doubled, (f"{len(doubled)} of {len(found)} buttons got a message ingested twice "
                         f"([(press_count, press events)] per alarm): {sorted(doubled.items())[:10]}")
    assert ingesting_before_kill == ["first"], (
        f"while both ran, exactly the first process must hold the ingest lock; these said so: {ingesting_before_kill}")
    assert second_ready_while_both == 200
