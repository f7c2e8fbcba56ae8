"""Alarm test helpers: rooms, a publisher on the real broker, waiting on the database."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from location_ops.alarms.models import Alarm
from location_ops.rooms.models import Room


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy (bounded); return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)  # polling the database: no event to await across processes


def alarm_count(sessionmaker, **filters) -> int:
    with sessionmaker() as db_session:
        statement = select(func.count()).select_from(Alarm)
        for key, value in filters.items():
            statement = statement.where(getattr(Alarm, key) == value)
        return db_session.scalar(statement)


@pytest.fixture
def rooms(app):
    """Fifteen rooms; returns their ids by number."""
    with app.state.sessionmaker() as db_session:
        created = [Room(number=n, name=f"Room {n}", active=True) for n in range(1, 16)]
        db_session.add_all(created)
        db_session.commit()
        return {room.number: room.id for room in created}


@pytest.fixture
def settings(settings, mosquitto):
    """The alarm tests' app talks to the session's real Mosquitto, with its own MQTT session."""
    return settings.model_copy(update={
        "mqtt_url": mosquitto.url, "mqtt_client_id": f"lo-test-{uuid.uuid4().hex[:8]}",
        "site": f"s{uuid.uuid4().hex[:6]}", "bridge_reconnect_max_seconds": 1,
    })


def publish(url: str, *messages: tuple[str, bytes | str, bool]) -> None:
    """Publish at QoS 1 and wait until the broker took every message."""
    from devices.simulator import publish as simulator_publish

    encoded = [(t, p.encode() if isinstance(p, str) else p, r) for t, p, r in messages]
    assert simulator_publish(url, encoded) == len(encoded)


def wait_connected(app) -> None:
    wait_until(lambda: app.state.bridge.connected, what="the bridge to connect")


class SSEReader:
    """Read a live SSE stream in a thread; collect (event, data) and let tests wait for one.

    The reader records how the stream went: the HTTP status, and the error or the end of
    the stream if it stopped before the test closed it. ``wait_for`` raises at once with
    that error instead of waiting out its timeout and blaming "no matching event".
    """

    def __init__(self, url: str, headers: dict) -> None:
        import threading

        import httpx

        self.events: list[tuple[str, dict]] = []
        #: The response's HTTP status once it came (None before).
        self.status: int | None = None
        #: Why the stream stopped before close(): an exception, a non-200 answer, or its end.
        self.failure: str | None = None
        self._closing = False
        self._changed = threading.Condition()
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=None))
        self._url, self._headers = url, headers
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _stopped(self, why: str) -> None:
        with self._changed:
            if not self._closing and self.failure is None:
                self.failure = why
            self._changed.notify_all()

    def _run(self) -> None:
        import json

        try:
            with self._client.stream("GET", self._url, headers=self._headers) as response:
                with self._changed:
                    self.status = response.status_code
                if response.status_code != 200:
                    body = response.read().decode(errors="replace")[:300]
                    self._stopped(f"the stream answered HTTP {response.status_code}: {body}")
                    return
                kind = "message"
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        with self._changed:
                            self.events.append((kind, json.loads(line[5:])))
                            self._changed.notify_all()
            self._stopped("the server ended the stream")
        except Exception as error:  # noqa: BLE001 - recorded for wait_for; quiet after close()
            self._stopped(f"the stream failed: {error!r}")

    def wait_for(self, predicate, timeout: float = 15.0) -> tuple[str, dict]:
        """The first event matching ``predicate``; raise at once if the stream failed or ended."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for item in self.events:
                    if predicate(*item):
                        return item
                if self.failure is not None:
                    raise AssertionError(f"{self.failure} (status {self.status}) before a matching SSE event; "
                                         f"got {self.events}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching SSE event within {timeout}s (status {self.status}); "
                                         f"got {self.events}")
                self._changed.wait(remaining)

    def close(self) -> None:
        with self._changed:
            self._closing = True
        self._client.close()


class LiveApp:
    """The app under uvicorn in a thread on a free port (SSE needs a real server)."""

    def __init__(self, app) -> None:
        import threading

        import uvicorn

        from tests.services import free_port

        self.app = app
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    timeout_graceful_shutdown=2))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        from tests.services import wait_for_port

        self.thread.start()
        wait_for_port(self.port)
        return self

    def __exit__(self, *exc) -> None:
        self.app.state.hub.close()  # end the SSE streams so uvicorn need not wait for them
        self.server.should_exit = True
        self.thread.join(timeout=15)
