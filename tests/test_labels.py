"""What people read instead of codes: room and shift labels, alarm events, money and dates by Babel."""

from __future__ import annotations

import datetime as dt

import pytest

from location_ops import i18n
from location_ops.alarms import service as alarms
from location_ops.alarms.models import Alarm, AlarmEvent
from location_ops.formatting import fmt_cents, fmt_cents_plain, fmt_date, fmt_number
from location_ops.rooms.models import room_label, shift_label

NOW = dt.datetime(2026, 12, 2, 21, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(("language", "money", "plain", "number", "day"), [
    ("nl", "€\xa080,00", "80,00", "1.234", "2 dec 2026"),
    ("en", "€80.00", "80.00", "1,234", "Dec 2, 2026"),
])
def test_money_numbers_and_dates_follow_the_language(language, money, plain, number, day):
    i18n.set_language(language)
    assert (fmt_cents(8000), fmt_cents_plain(8000), fmt_number(1234)) == (money, plain, number)
    assert fmt_date(dt.date(2026, 12, 2)).replace(".", "") == day
    assert fmt_cents_plain(123450) in ("1234,50", "1234.50"), "no grouping: forms.Cents reads it back"


def test_a_room_without_its_own_name_is_labelled_in_the_readers_language():
    i18n.set_language("nl")
    assert room_label(6, "") == "Kamer 6"
    assert room_label(6, "Room 6") == "Kamer 6", "a default name from before is a default too"
    assert room_label(6, "De blauwe kamer") == "De blauwe kamer", "the operator's own name stays"
    i18n.set_language("en")
    assert room_label(6, "Kamer 6") == "Room 6"


def test_default_shifts_are_translated_and_own_names_kept():
    i18n.set_language("nl")
    assert (shift_label("day"), shift_label("evening"), shift_label("late")) == ("Dag", "Avond", "Late")


def test_alarm_events_read_as_sentences_not_codes():
    alarm = Alarm(raised_at=NOW, state="resolved", resolution="false_alarm")
    escalated = AlarmEvent(kind="escalated", at=NOW + dt.timedelta(seconds=30), note="after 30 s")
    resolved = AlarmEvent(kind="resolved", at=NOW + dt.timedelta(minutes=3), note="false_alarm: knocked by a towel")
    i18n.set_language("en")
    assert alarms.event_text(alarm, escalated) == ("Escalated after 30 s", "")
    assert alarms.event_text(alarm, resolved) == ("Resolved: False alarm", "knocked by a towel")
    i18n.set_language("nl")
    assert alarms.event_text(alarm, AlarmEvent(kind="press", at=NOW, note="")) == ("Opnieuw ingedrukt", "")
    assert alarms.event_text(alarm, resolved)[0] == "Afgesloten: Loos alarm"


def test_rooms_admin_in_dutch_shows_prices_and_shift_names_in_dutch(client, login_as, db):
    from location_ops.rooms import service as rooms_service

    rooms_service.ensure_default_shifts(db_session=db)
    db.commit()
    login_as("operator")
    page = client.get("/admin/rooms", headers={"accept-language": "nl"}).text
    assert 'value="80,00"' in page and 'value="120,00"' in page and "80.00" not in page
    assert "<strong>Dag</strong>" in page and "<strong>Avond</strong>" in page


def test_the_handover_heading_says_since_when(client, login_as):
    login_as("host")
    page = client.get("/reception/shift", headers={"accept-language": "nl"}).text
    assert "Notities en incidenten sinds" in page
    heading = page.split("Notities en incidenten sinds", 1)[1].split("</h3>", 1)[0]
    assert any(ch.isdigit() for ch in heading), f"the heading ends with nothing: {heading!r}"
