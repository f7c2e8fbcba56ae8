"""The one clock the app asks for the time, so tests can move it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


class Clock:
    """Wall-clock time in UTC, with an offset or a frozen instant for tests."""

    def __init__(self) -> None:
        self._frozen: dt.datetime | None = None
        self._offset = dt.timedelta()

    def now(self) -> dt.datetime:
        if self._frozen is not None:
            return self._frozen
        return dt.datetime.now(dt.UTC) + self._offset

    def freeze(self, instant: dt.datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("freeze() needs an aware datetime")
        self._frozen = instant.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        self._frozen = None
        self._offset = dt.timedelta()


clock = Clock()


def utcnow() -> dt.datetime:
    """Return the current time, aware, in UTC."""
    return clock.now()


def local_today() -> dt.date:
    """Return today's date at the location (Europe/Amsterdam)."""
    return clock.now().astimezone(LOCAL_TZ).date()
