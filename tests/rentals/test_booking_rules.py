"""Booking rules through the JSON API and the services: horizon, contracts, outages, cancel, no-shows, DST."""

from __future__ import annotations

import datetime as dt

import pytest

from location_ops.bookings import service
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import LOCAL_TZ, clock
from location_ops.contracts import service as contracts_service
from location_ops.rooms import service as rooms_service
from location_ops.rooms.models import Room
from tests.rentals.conftest import NOW, TODAY, TOMORROW

EN = {"Accept-Language": "en"}


def _book(client, headers, room_id, day, shift="day"):
    return client.post("/api/v1/bookings", json={"room_id": room_id, "date": str(day), "shift": shift},
                       headers={**headers, **EN})


def test_a_worker_with_an_active_contract_books_and_sees_it(client, rentals):
    room, = rentals.rooms(1)
    headers = rentals.token(rentals.worker())
    response = _book(client, headers, room.id, TOMORROW)
    assert response.status_code == 201, response.text
    booking = response.json()
    # 10:00–18:00 Amsterdam in December is 09:00–17:00 UTC.
    assert booking["starts_at"].startswith("2026-12-02T09:00") and booking["ends_at"].startswith("2026-12-02T17:00")
    assert booking["price_cents"] == 8000
    mine = client.get("/api/v1/bookings", headers=headers).json()
    assert [b["id"] for b in mine] == [booking["id"]]
    shifts = client.get(f"/api/v1/shifts?date={TOMORROW}", headers=headers).json()
    day = next(s for s in shifts if s["shift"] == "day")
    evening = next(s for s in shifts if s["shift"] == "evening")
    assert day["available"] is False and evening["available"] is True
    assert set(day) == {"room_id", "room_number", "shift", "date", "start", "end", "available", "price_cents"}


@pytest.mark.parametrize("contract", [None, "draft", "suspended", "ended"])
def test_booking_needs_an_active_contract(client, rentals, contract):
    room, = rentals.rooms(1)
    headers = rentals.token(rentals.worker(contract=contract))
    response = _book(client, headers, room.id, TOMORROW)
    assert response.status_code == 403
    assert "active contract" in response.json()["detail"]


def test_the_contract_must_cover_the_booked_day(client, rentals):
    room, = rentals.rooms(1)
    headers = rentals.token(rentals.worker(starts_on=TODAY, ends_on=TOMORROW))
    assert _book(client, headers, room.id, TOMORROW).status_code == 201
    assert _book(client, headers, room.id, TOMORROW + dt.timedelta(days=1)).status_code == 403


@pytest.mark.parametrize("date, status, words", [
    (str(TODAY - dt.timedelta(days=1)), 400, "in the past"),
    ("2027-02-31", 422, "not a date"),  # refused by the declaration, before any rule
    ("tomorrow", 422, "not a date"),
    (str(TODAY + dt.timedelta(days=29)), 400, "28 days ahead"),
])
def test_bad_dates_get_a_clear_400(client, rentals, date, status, words):
    room, = rentals.rooms(1)
    headers = rentals.token(rentals.worker())
    response = client.post("/api/v1/bookings", json={"room_id": room.id, "date": date, "shift": "day"},
                           headers={**headers, **EN})
    assert response.status_code == status
    assert words in response.json()["detail"]


def test_the_last_day_of_the_horizon_can_be_booked(client, rentals):
    room, = rentals.rooms(1)
    headers = rentals.token(rentals.worker())
    assert _book(client, headers, room.id, TODAY + dt.timedelta(days=28)).status_code == 201


def test_unknown_room_unknown_shift_and_started_shift_are_refused(client, rentals):
    room, = rentals.rooms(1)
    headers = rentals.token(rentals.worker())
    assert _book(client, headers, 9999, TOMORROW).status_code == 400
    response = _book(client, headers, room.id, TOMORROW, shift="night")
    assert response.status_code == 400 and "no shift called 'night'" in response.json()["detail"]
    clock.freeze(NOW.replace(hour=11))
    headers = rentals.token(rentals.worker())  # API tokens live an hour
    response = _book(client, headers, room.id, TODAY, shift="day")
    assert response.status_code == 400 and "already started" in response.json()["detail"]
    wrong = client.post("/api/v1/bookings", json={"room_id": "abc", "date": str(TOMORROW), "shift": "day"},
                        headers={**headers, **EN})
    assert wrong.status_code == 422 and "room_id" in wrong.json()["detail"]


def test_one_room_per_worker_at_a_time(client, rentals):
    room_a, room_b = rentals.rooms(2)
    headers = rentals.token(rentals.worker())
    assert _book(client, headers, room_a.id, TOMORROW).status_code == 201
    response = _book(client, headers, room_b.id, TOMORROW)
    assert response.status_code == 409 and "One room per person" in response.json()["detail"]
    assert _book(client, headers, room_b.id, TOMORROW, "evening").status_code == 201


def test_out_of_service_periods_block_bookings(client, rentals, app):
    room, = rentals.rooms(1)
    with app.state.sessionmaker() as db_session:
        start = dt.datetime.combine(TOMORROW, dt.time(15), tzinfo=LOCAL_TZ)
        rooms_service.add_outage(db_session=db_session, room=db_session.get(Room, room.id), starts_at=start,
                                 ends_at=start + dt.timedelta(hours=2), reason="Plumbing")
        db_session.commit()
    headers = rentals.token(rentals.worker())
    response = _book(client, headers, room.id, TOMORROW, "day")
    assert response.status_code == 409 and "out of service" in response.json()["detail"]
    assert _book(client, headers, room.id, TOMORROW, "evening").status_code == 201
    shifts = client.get(f"/api/v1/shifts?date={TOMORROW}", headers=headers).json()
    assert [s["available"] for s in shifts] == [False, False]


def test_house_rules_must_be_accepted_before_booking(client, rentals, app):
    room, = rentals.rooms(1)
    worker = rentals.worker()
    with app.state.sessionmaker() as db_session:
        rules = contracts_service.publish_house_rules(db_session=db_session, text="Be kind.")
        db_session.commit()
    headers = rentals.token(worker)
    response = _book(client, headers, room.id, TOMORROW)
    assert response.status_code == 403 and "house rules" in response.json()["detail"]
    with app.state.sessionmaker() as db_session:
        accepted = contracts_service.accept_house_rules(db_session=db_session, worker_id=worker.id,
                                                        version=rules.version)
        db_session.commit()
        assert accepted.version == 1 and accepted.accepted_at == NOW
    assert _book(client, headers, room.id, TOMORROW).status_code == 201


def test_cancel_is_free_before_the_deadline_and_charged_after(client, rentals):
    room, = rentals.rooms(1)
    worker = rentals.worker(late_cancel_percent=50)
    headers = rentals.token(worker)
    early = _book(client, headers, room.id, TOMORROW + dt.timedelta(days=1)).json()
    late = _book(client, headers, room.id, TOMORROW, "day").json()  # starts in 25 h
    clock.freeze(NOW + dt.timedelta(hours=2))  # now 23 h before the day shift: past the 24 h deadline
    headers = rentals.token(worker)
    free = client.post(f"/api/v1/bookings/{early['id']}/cancel", headers=headers)
    assert free.status_code == 200 and free.json()["status"] == "cancelled" and free.json()["charge_cents"] == 0
    charged = client.post(f"/api/v1/bookings/{late['id']}/cancel", headers=headers)
    assert charged.status_code == 200 and charged.json()["charge_cents"] == 4000
    again = client.post(f"/api/v1/bookings/{late['id']}/cancel", headers={**headers, **EN})
    assert again.status_code == 400 and "no longer active" in again.json()["detail"]
    # The slot is free again.
    assert _book(client, headers, room.id, TOMORROW, "day").status_code == 201


def test_another_workers_booking_is_not_found(client, rentals):
    room, = rentals.rooms(1)
    owner, other = rentals.token(rentals.worker()), rentals.token(rentals.worker())
    booking = _book(client, owner, room.id, TOMORROW).json()
    for method, path in (("post", f"/api/v1/bookings/{booking['id']}/cancel"), ("get", f"/api/v1/bookings/{booking['id']}")):
        response = getattr(client, method)(path, headers=other)
        assert response.status_code == 404
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=owner).status_code == 200


def test_no_shows_are_released_an_hour_after_the_start_unless_checked_in(rentals, app, settings):
    room_a, room_b = rentals.rooms(2)
    late_worker, present = rentals.worker(no_show_percent=100), rentals.worker()
    with app.state.sessionmaker() as db_session:
        absent = service.book(db_session=db_session, settings=settings, worker=late_worker, room_id=room_a.id,
                              day=TOMORROW, shift="day")
        there = service.book(db_session=db_session, settings=settings, worker=present, room_id=room_b.id,
                             day=TOMORROW, shift="day")
        db_session.commit()
        start = absent.starts_at
        assert service.release_no_shows(db_session=db_session, now=start + dt.timedelta(minutes=59)) == 0
        db_session.get(Booking, there.id).checked_in_at = start + dt.timedelta(minutes=5)
        db_session.commit()
        assert service.release_no_shows(db_session=db_session, now=start + dt.timedelta(minutes=60),
                                        settings=settings) == 1
        db_session.commit()
        released = db_session.get(Booking, absent.id)
        assert released.status == BookingStatus.NO_SHOW and released.charge_cents == 8000
        assert db_session.get(Booking, there.id).status == BookingStatus.BOOKED
        # The released room can be booked again for the rest of the shift (by hours, when on).
        clock.freeze(start + dt.timedelta(minutes=61))
        hourly = settings.model_copy(update={"hourly_rental": True, "hourly_min_hours": 4})
        again = service.book_hours(db_session=db_session, settings=hourly, worker=rentals.worker(),
                                   room_id=room_a.id, day=TOMORROW, start=dt.time(12), hours=4)
        db_session.commit()
        assert again.status == BookingStatus.BOOKED


def test_the_app_releases_no_shows_itself(app, rentals, settings):
    """lifecycle.startup() starts the releaser; one round runs as the app starts."""
    from fastapi.testclient import TestClient

    room, = rentals.rooms(1)
    worker = rentals.worker()
    with app.state.sessionmaker() as db_session:
        booking = service.book(db_session=db_session, settings=settings, worker=worker, room_id=room.id,
                               day=TOMORROW, shift="day")
        db_session.commit()
    clock.freeze(booking.starts_at + dt.timedelta(minutes=61))
    with TestClient(app) as started:
        assert started.get("/healthz").status_code == 200
        task = app.state.no_show_releaser
        assert not task.done()
    with app.state.sessionmaker() as db_session:
        assert db_session.get(Booking, booking.id).status == BookingStatus.NO_SHOW


def test_hourly_rental_is_off_by_default_and_has_a_minimum(client, rentals, app, settings):
    room, = rentals.rooms(1)
    headers = rentals.token(rentals.worker())
    body = {"room_id": room.id, "date": str(TOMORROW), "shift": "hourly", "start": "12:00", "hours": 2}
    response = client.post("/api/v1/bookings", json=body, headers={**headers, **EN})
    assert response.status_code == 400 and "per shift only" in response.json()["detail"]
    app.state.settings = settings.model_copy(update={"hourly_rental": True, "hourly_min_hours": 3})
    response = client.post("/api/v1/bookings", json=body, headers={**headers, **EN})
    assert response.status_code == 400 and "at least 3 hours" in response.json()["detail"]
    response = client.post("/api/v1/bookings", json={**body, "hours": 3}, headers=headers)
    assert response.status_code == 201 and response.json()["price_cents"] == 4500
    with app.state.sessionmaker() as db_session:
        overview = service.operator_overview(db_session=db_session, first_day=TOMORROW, days=1)[0]
        day_cell, evening_cell = overview.rows[0][1]
        assert day_cell is not None and evening_cell is None  # 12:00–15:00 lies within the day shift


@pytest.mark.parametrize("day, hours", [
    (dt.date(2026, 10, 24), 9),   # clocks go back at 03:00 on 25 October: one hour longer
    (dt.date(2027, 3, 27), 7),    # clocks go forward at 02:00 on 28 March: one hour shorter
    (dt.date(2026, 12, 5), 8),
])
def test_shifts_across_daylight_saving_changes_have_their_true_length(day, hours):
    start, end = rooms_service.local_range(day, dt.time(22), dt.time(6))
    assert end - start == dt.timedelta(hours=hours)
    assert start.astimezone(LOCAL_TZ).hour == 22 and end.astimezone(LOCAL_TZ).hour == 6


def test_a_booked_night_shift_across_dst_is_stored_with_its_true_utc_range(rentals, app, settings):
    rentals.rooms(1)
    clock.freeze(dt.datetime(2026, 10, 20, 12, tzinfo=LOCAL_TZ))
    worker = rentals.worker(starts_on=dt.date(2026, 10, 1))
    with app.state.sessionmaker() as db_session:
        rooms_service.create_shift(db_session=db_session, name="night", starts=dt.time(22), ends=dt.time(6),
                                   price_cents=10000)
        db_session.commit()
        room = rooms_service.list_rooms(db_session=db_session)[0]
        booking = service.book(db_session=db_session, settings=settings, worker=worker, room_id=room.id,
                               day=dt.date(2026, 10, 24), shift="night")
        db_session.commit()
        assert booking.starts_at == dt.datetime(2026, 10, 24, 20, tzinfo=dt.UTC)
        assert booking.ends_at == dt.datetime(2026, 10, 25, 5, tzinfo=dt.UTC)


def test_booking_and_cancelling_tell_staff_screens_by_id_only(client, rentals):
    import asyncio

    from location_ops.accounts.models import Role

    room, = rentals.rooms(1)
    headers = rentals.token(rentals.worker("hidden-name"))
    hub = client.app.state.hub
    host, worker = hub.subscribe(Role.HOST, 0), hub.subscribe(Role.WORKER, 0)

    async def next_event():
        # Other news (the alarm bridge reporting its connection) may come first: wait for a room event.
        while True:
            event = await asyncio.wait_for(host.queue.get(), 5)
            if event.kind == "room":
                return event

    booking = _book(client, headers, room.id, TOMORROW).json()
    event = client.portal.call(next_event)
    assert (event.kind, event.data) == ("room", {"room_id": room.id, "booking_id": booking["id"], "change": "booked"})
    client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=headers)
    assert client.portal.call(next_event).data["change"] == "cancelled"
    assert all(worker.queue.get_nowait().kind != "room" for _ in range(worker.queue.qsize()))
