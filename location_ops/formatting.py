"""Numbers, money, dates, times and language names in the reader's language, through Babel.

The one place for them. It depends on nothing but ``location_ops.i18n`` (the current
language) and the local time zone of ``location_ops.clock``, so services, routes and
templates (the filters ``time``, ``datetime``, ``date``, ``euros``, ``euros_plain``,
``number``, ``language_name``) all format alike: "€ 80,00" in Dutch, "€80.00" in English.
"""

from __future__ import annotations

import datetime as dt

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal

from location_ops import i18n
from location_ops.clock import LOCAL_TZ


def _locale() -> str:
    return i18n.formatting_locale()


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(LOCAL_TZ)


def fmt_time(value: dt.datetime | dt.time | None) -> str:
    """A time of day, 24-hour ("22:15")."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value)
    return format_time(value, "HH:mm", locale=_locale())


def fmt_datetime(value: dt.datetime | None) -> str:
    """A moment as day, month and time ("2 dec. 22:15")."""
    if value is None:
        return ""
    return format_datetime(_local(value), "d MMM HH:mm", locale=_locale())


def fmt_date(value: dt.date | None, form: str = "medium") -> str:
    """A date ("2 dec 2026"); ``form`` is a Babel format name or pattern."""
    return "" if value is None else format_date(value, form, locale=_locale())


def fmt_cents(cents: int | None) -> str:
    """Integer cents as euros ("€ 80,00" in Dutch, "€80.00" in English)."""
    return "" if cents is None else format_currency(cents / 100, "EUR", locale=_locale())


def fmt_cents_plain(cents: int | None) -> str:
    """Integer cents as a number for a form field: no sign, no grouping ("1234,50"), as forms.Cents reads it."""
    return "" if cents is None else format_decimal(cents / 100, "0.00", locale=_locale())


def fmt_number(value: int | float | None) -> str:
    """A number with the language's separators ("1.234" in Dutch)."""
    return "" if value is None else format_decimal(value, locale=_locale())


def fmt_language(code: str) -> str:
    """The name of a language in the reader's language ("Spaans" / "Spanish"); the code if Babel has none."""
    try:
        return Locale.parse(code).get_display_name(_locale()) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code


FILTERS = {"time": fmt_time, "datetime": fmt_datetime, "date": fmt_date, "euros": fmt_cents,
           "euros_plain": fmt_cents_plain, "number": fmt_number, "language_name": fmt_language}
