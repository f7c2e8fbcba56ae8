"""Several app processes on PostgreSQL: exactly one ingests (advisory lock); another takes over."""

from __future__ import annotations

import json
import signal
import uuid

import httpx

from location_ops.config import Settings
from location_ops.db import make_engine, make_sessionmaker
from location_ops.migrate import upgrade
from tests.alarms.conftest import alarm_count, publish, wait_until
from tests.alarms.test_resilience import _serve
from tests.services import free_port


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_second_process_takes_over_ingestion_when_the_first_dies(pg_server, mosquitto, tmp_path):
    url = pg_server.create_database(f"lo_takeover_{uuid.uuid4().hex[:6]}")
    upgrade(url)
    settings = Settings(database_url=url, mqtt_url=mosquitto.url, site=f"t{uuid.uuid4().hex[:6]}",
                        mqtt_client_id=f"lo-takeover-{uuid.uuid4().hex[:6]}", var_dir=tmp_path, secret_key="t")
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    first_port, second_port = free_port(), free_port()
    first = _serve(settings, first_port, tmp_path / "first.log")
    second = None
    try:
        wait_until(lambda: _up(first_port) and httpx.get(f"http://127.0.0.1:{first_port}/readyz").status_code == 200,
                   timeout=30, what="the first app")
        second = _serve(settings, second_port, tmp_path / "second.log")
        wait_until(lambda: _up(second_port), timeout=30, what="the second app")
        press = lambda i: (f"location-ops/{settings.site}/devices/t{i}/event",  # noqa: E731
                           json.dumps({"event": "press", "seq": 1}), False)
        publish(mosquitto.url, press(0))
        wait_until(lambda: alarm_count(sessionmaker) == 1, what="the first press")
        # The second process does not ingest, yet its /readyz reports the (other process's) bridge.
        assert httpx.get(f"http://127.0.0.1:{second_port}/readyz").status_code == 200
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        publish(mosquitto.url, *[press(i) for i in range(1, 6)])
        wait_until(lambda: alarm_count(sessionmaker) == 6, timeout=30, what="the second process to take over")
        assert "holds the ingest lock" in (tmp_path / "second.log").read_text()
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        engine.dispose()
