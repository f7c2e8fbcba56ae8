"""Dates and time zones: the DST rule for shift times, and the ranges of dates the app accepts."""

from __future__ import annotations

import datetime as dt

import pytest

from location_ops.bookings import service
from location_ops.clock import LOCAL_TZ, clock, local_instant
from location_ops.contracts import service as contracts_service
from location_ops.rooms import service as rooms_service
from tests.rentals.conftest import TODAY

EN = {"Accept-Language": "en"}
SPRING = dt.date(2027, 3, 28)   # clocks go from 02:00 to 03:00 (CET → CEST)
AUTUMN = dt.date(2026, 10, 25)  # clocks go from 03:00 back to 02:00 (CEST → CET)
UTC = dt.UTC


def _utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --- the rule, on its own ----------------------------------------------------------------------


@pytest.mark.parametrize("day, wall, expected", [
    (SPRING, dt.time(2, 0), _utc(2027, 3, 28, 1, 0)),    # the first missing minute: the end of the gap
    (SPRING, dt.time(2, 30), _utc(2027, 3, 28, 1, 0)),   # 03:00 CEST
    (SPRING, dt.time(2, 59), _utc(2027, 3, 28, 1, 0)),
    (SPRING, dt.time(3, 0), _utc(2027, 3, 28, 1, 0)),
    (SPRING, dt.time(1, 59), _utc(2027, 3, 28, 0, 59)),  # before the gap, still CET
    (AUTUMN, dt.time(2, 30), _utc(2026, 10, 25, 0, 30)),  # the first 02:30, still CEST
    (AUTUMN, dt.time(3, 0), _utc(2026, 10, 25, 2, 0)),    # after the repeated hour, CET
])
def test_a_missing_time_moves_to_the_end_of_the_gap_and_a_repeated_one_is_its_first(day, wall, expected):
    assert local_instant(day, wall) == expected


def test_a_half_hour_shift_in_the_spring_gap_starts_at_three_and_lasts_thirty_minutes():
    assert rooms_service.local_range(SPRING, dt.time(2, 30), dt.time(3, 30)) == (
        _utc(2027, 3, 28, 1, 0), _utc(2027, 3, 28, 1, 30))


@pytest.mark.parametrize("starts, ends, expected", [
    # 02:30 (first, summer time) to 03:30 (winter time): the clock passes 02:30–03:00 twice.
    (dt.time(2, 30), dt.time(3, 30), (_utc(2026, 10, 25, 0, 30), _utc(2026, 10, 25, 2, 30))),
    # An end in the repeated hour is its first occurrence too: 01:30–02:30 is one hour.
    (dt.time(1, 30), dt.time(2, 30), (_utc(2026, 10, 24, 23, 30), _utc(2026, 10, 25, 0, 30))),
    (dt.time(2, 10), dt.time(2, 50), (_utc(2026, 10, 25, 0, 10), _utc(2026, 10, 25, 0, 50))),
])
def test_times_in_the_repeated_autumn_hour_are_their_first_occurrence(starts, ends, expected):
    assert rooms_service.local_range(AUTUMN, starts, ends) == expected


# --- slots offered and booked ------------------------------------------------------------------


def _shift(app, name, starts, ends):
    with app.state.sessionmaker() as db_session:
        rooms_service.create_shift(db_session=db_session, name=name, starts=starts, ends=ends, price_cents=5000)
        db_session.commit()


def test_the_spring_gap_shift_is_offered_as_thirty_minutes_from_three(client, rentals, app):
    room, = rentals.rooms(1)
    _shift(app, "late", dt.time(2, 30), dt.time(3, 30))
    clock.freeze(dt.datetime(2027, 3, 20, 12, tzinfo=LOCAL_TZ))
    headers = rentals.token(rentals.worker(starts_on=dt.date(2027, 3, 1)))
    shifts = client.get(f"/api/v1/shifts?date={SPRING}", headers=headers).json()
    late = next(s for s in shifts if s["shift"] == "late")
    start, end = (dt.datetime.fromisoformat(late[key]) for key in ("start", "end"))
    assert (start, end) == (_utc(2027, 3, 28, 1, 0), _utc(2027, 3, 28, 1, 30))
    assert late["available"] is True
    page = client.get(f"/book?day={SPRING}", headers={**headers, **EN})
    assert "03:00–03:30 <span" in page.text and "(30 minutes today: the clocks change)" in page.text
    response = client.post("/api/v1/bookings", json={"room_id": room.id, "date": str(SPRING), "shift": "late"},
                           headers={**headers, **EN})
    assert response.status_code == 201, response.text
    assert response.json()["starts_at"].startswith("2027-03-28T01:00")
    assert response.json()["ends_at"].startswith("2027-03-28T01:30")


def test_the_autumn_shift_across_the_repeated_hour_is_booked_for_two_hours(rentals, app, settings):
    rentals.rooms(1)
    _shift(app, "late", dt.time(2, 30), dt.time(3, 30))
    clock.freeze(dt.datetime(2026, 10, 20, 12, tzinfo=LOCAL_TZ))
    worker = rentals.worker(starts_on=dt.date(2026, 10, 1))
    with app.state.sessionmaker() as db_session:
        slot = rooms_service.slot_for(db_session=db_session, day=AUTUMN, shift_name="late")
        assert slot.minutes == 120 and slot.usual_minutes == 60
        room = rooms_service.list_rooms(db_session=db_session)[0]
        booking = service.book(db_session=db_session, settings=settings, worker=worker, room_id=room.id,
                               day=AUTUMN, shift="late")
        db_session.commit()
        assert (booking.starts_at, booking.ends_at) == (_utc(2026, 10, 25, 0, 30), _utc(2026, 10, 25, 2, 30))


def test_a_shift_wholly_in_the_spring_gap_is_not_offered_and_cannot_be_booked(client, rentals, app, settings):
    room, = rentals.rooms(1)
    _shift(app, "gap", dt.time(2, 10), dt.time(2, 50))  # would be 03:00–03:00 after the rule
    clock.freeze(dt.datetime(2027, 3, 20, 12, tzinfo=LOCAL_TZ))
    worker = rentals.worker(starts_on=dt.date(2027, 3, 1))
    with app.state.sessionmaker() as db_session:
        assert "gap" not in {slot.shift.name for slot in rooms_service.slots_on(db_session=db_session, day=SPRING)}
        assert "gap" in {slot.shift.name for slot in rooms_service.slots_on(db_session=db_session,
                                                                              day=SPRING + dt.timedelta(days=1))}
        grid = service.availability(db_session=db_session, first_day=SPRING)[0]
        assert "gap" not in {cell.slot.shift.name for _room, cells in grid.rows for cell in cells}
        with pytest.raises(service.BookingError, match="hour the clocks skip"):
            service.book(db_session=db_session, settings=settings, worker=worker, room_id=room.id, day=SPRING,
                         shift="gap")
    headers = rentals.token(worker)
    response = client.post("/api/v1/bookings", json={"room_id": room.id, "date": str(SPRING), "shift": "gap"},
                           headers={**headers, **EN})
    assert response.status_code == 400
    assert "does not run on 2027-03-28" in response.json()["detail"]


# --- ranges -----------------------------------------------------------------------------------


@pytest.mark.parametrize("starts_on, ends_on", [
    (dt.date(1, 1, 1), None),
    (dt.date(1999, 12, 31), None),
    (dt.date(2036, 12, 2), None),
    (TODAY, dt.date(9999, 12, 31)),
])
def test_a_contract_outside_2000_to_ten_years_ahead_is_refused_with_the_range(rentals, app, starts_on, ends_on):
    worker = rentals.worker(contract=None)
    with app.state.sessionmaker() as db_session, pytest.raises(contracts_service.ContractError) as refused:
        contracts_service.create_contract(db_session=db_session, worker=db_session.merge(worker),
                                          starts_on=starts_on, ends_on=ends_on)
    assert "from 2000-01-01 to 2036-12-01" in str(refused.value)


def test_a_contract_on_the_edges_of_the_range_is_made(rentals, app):
    worker = rentals.worker(contract=None)
    with app.state.sessionmaker() as db_session:
        made = contracts_service.create_contract(db_session=db_session, worker=db_session.merge(worker),
                                                 starts_on=dt.date(2000, 1, 1), ends_on=dt.date(2036, 12, 1))
        assert made.id is not None


def test_the_api_refuses_a_contract_from_year_one_with_the_range(client, rentals, login_staff):
    worker = rentals.worker(contract=None)
    operator = login_staff("operator")
    headers = {**rentals.token(operator), **EN}
    response = client.post("/api/v1/contracts", json={"username": worker.username, "starts_on": "0001-01-01"},
                           headers=headers)
    # Outside what any date field takes, the declaration refuses it; inside, the contract's own rule.
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "The field 'starts_on' must be a date from 2000-01-01 to 2100-12-31."
    response = client.post("/api/v1/contracts", json={"username": worker.username, "starts_on": "2040-01-01"},
                           headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == "A contract's start must be a date from 2000-01-01 to 2036-12-01."


EXTREME = ["0001-01-01", "1999-12-31", "2028-12-02", "9999-12-31"]


@pytest.mark.parametrize("day", EXTREME)
@pytest.mark.parametrize("role, path", [
    ("worker", "/book?day={day}"),
    ("operator", "/book?day={day}"),
    ("operator", "/bookings?day={day}"),
    ("host", "/reception/log?day={day}"),
    ("host", "/reception/log/report?day={day}"),
    ("operator", "/statements?month={month}&worker={worker}"),
    ("worker", "/statements.csv?month={month}"),
    ("worker", "/api/v1/shifts?date={day}"),
    ("operator", "/api/v1/bookings?date={day}"),
    ("host", "/api/v1/log?day={day}"),
    ("host", "/hygiene/rooms/{room}/history?date={day}"),
    ("host", "/api/v1/hygiene/rounds?date={day}"),
])
def test_extreme_dates_answer_a_sentence_with_the_range(client, rentals, login_staff, role, path, day):
    room, = rentals.rooms(1)
    worker = rentals.worker()
    user = worker if role == "worker" else login_staff(role)
    if role == "worker":
        from tests.conftest import login

        login(client, worker.username)
    month = "2029-01" if day == "2028-12-02" else day[:7]  # 2028-12 itself is in range
    url = path.format(day=day, month=month, worker=worker.username, room=room.id)
    headers = {**rentals.token(user), **EN} if url.startswith("/api/") else EN
    response = client.get(url, headers=headers)
    assert response.status_code in (400, 422), (url, response.status_code, response.text[:300])
    # Beyond what a date field takes at all (2000–2100) the declaration answers; within it, the
    # view's own range (two years ahead) does. Either way the sentence says the range.
    allowed = ["from 2000-01-01 to 2028-12-01"] + (["from 2000-01-01 to 2100-12-31"] if day != "2028-12-02" else [])
    assert any(sentence in response.text for sentence in allowed), (url, response.text[:500])


def test_dates_in_range_are_still_answered(client, rentals):
    rentals.rooms(1)
    headers = rentals.token(rentals.worker())
    for day in ("2000-01-01", "2028-12-01"):
        assert client.get(f"/api/v1/shifts?date={day}", headers=headers).status_code == 200
