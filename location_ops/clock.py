"""The one clock the app asks for the time, so tests can move it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from location_ops.i18n import _

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


def local_instant(day: dt.date, wall: dt.time) -> dt.datetime:
    """Return the UTC instant of a local wall-clock time on ``day`` in Europe/Amsterdam.

    The rule for the two DST days, the one place it is decided:

    - a time that does not exist (spring forward: 02:00–03:00 on the last Sunday of
      March is skipped) moves to the end of the gap: 02:30 becomes 03:00 (CEST);
    - a time that happens twice (fall back: 02:00–03:00 on the last Sunday of
      October) is its first occurrence, still in summer time (``fold=0``).
    """
    local = dt.datetime.combine(day, wall).replace(tzinfo=LOCAL_TZ, fold=0)
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(LOCAL_TZ).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # In the gap: fold=0 reads the wall time with the offset before the change and
    # fold=1 with the offset after, so the change lies between the two readings.
    # Find it to the second (about a dozen steps; zoneinfo does not list transitions).
    before = local.replace(fold=1).astimezone(dt.UTC)
    after_offset = instant.astimezone(LOCAL_TZ).utcoffset()
    low, high = before, instant
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(LOCAL_TZ).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


# --- date ranges for request input ----------------------------------------------------------

#: No day the app deals with lies before this: no contract, booking, log entry or report.
EARLIEST_DAY = dt.date(2000, 1, 1)
#: Contracts may be agreed this many years ahead.
CONTRACT_YEARS_AHEAD = 10
#: Reports, overviews and logs may be asked for this many years ahead.
REPORT_YEARS_AHEAD = 2


def years_after(day: dt.date, years: int) -> dt.date:
    """Return the same day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class DateOutOfRange(ValueError):
    """A date from a request lies outside the range the app accepts; the message says the range.

    The app answers it with 400 on pages and 422 in the API, like other invalid input.
    """


def check_day(day: dt.date, *, what: str, years_ahead: int, error: type[Exception] = DateOutOfRange,
              today: dt.date | None = None) -> dt.date:
    """Return ``day`` if it lies from 2000-01-01 to today + ``years_ahead`` years, else raise ``error``.

    Every date that comes from a request passes here in its service before any
    arithmetic on it, so year 1 or 9999 is refused with a sentence that says the
    allowed range, not an overflow. ``what`` is the translated name of the date,
    as the sentence's subject ("The contract's start").
    """
    today = today or local_today()
    last = years_after(today, years_ahead)
    if not EARLIEST_DAY <= day <= last:
        raise error(_("%(what)s must be a date from %(first)s to %(last)s.")
                    % {"what": what, "first": EARLIEST_DAY.isoformat(), "last": last.isoformat()})
    return day
