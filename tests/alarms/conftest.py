"""Alarm test helpers: rooms, a publisher on the real broker, waiting on the database."""

from __future__ import annotations

import time
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
