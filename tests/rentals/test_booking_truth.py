"""The grid shows what a worker cannot book and why; the confirmation states the price and the cancellation cost."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from location_ops.bookings import service
from location_ops.bookings.models import Booking
from location_ops.clock import LOCAL_TZ, clock
from location_ops.contracts import service as contracts_service
from tests.conftest import csrf_from, login
from tests.rentals.conftest import TOMORROW


def _login(client, rentals, name="roosje", **contract):
    worker = rentals.worker(name, **contract)
    assert login(client, name).status_code == 303
    return worker


def _bookings(app) -> int:
    with app.state.sessionmaker() as db_session:
        return db_session.scalar(select(func.count(Booking.id)))


def test_without_a_contract_the_grid_says_so_with_a_link_instead_of_book(client, rentals):
    rentals.rooms(2)
    _login(client, rentals, contract=None)
    page = client.get(f"/book?day={TOMORROW}").text
    assert 'class="button book"' not in page
    assert 'data-blocker="contract"' in page and "You need an active contract on that day" in page
    assert page.count('href="/contract">No contract</a>') == 4  # every free slot says why, with the link


def test_a_contract_that_starts_later_blocks_only_the_days_before_it(client, rentals):
    rentals.rooms(1)
    _login(client, rentals, starts_on=TOMORROW + dt.timedelta(days=1))
    assert 'data-blocker="contract"' in client.get(f"/book?day={TOMORROW}").text
    later = client.get(f"/book?day={TOMORROW + dt.timedelta(days=1)}").text
    assert 'data-blocker' not in later and later.count('class="button book"') == 2


def test_house_rules_to_accept_are_named_with_a_link_to_them(client, rentals, app):
    rentals.rooms(1)
    _login(client, rentals)
    with app.state.sessionmaker() as db_session:
        contracts_service.publish_house_rules(db_session=db_session, text="Rule one.")
        db_session.commit()
    page = client.get(f"/book?day={TOMORROW}").text
    assert 'data-blocker="house_rules"' in page and 'class="button book"' not in page
    assert page.count('href="/contract#house-rules">Accept house rules</a>') == 2


def test_a_slot_overlapping_her_own_booking_elsewhere_is_not_offered(client, rentals, app, settings):
    rooms = rentals.rooms(2)
    worker = _login(client, rentals)
    with app.state.sessionmaker() as db_session:
        service.book(db_session=db_session, settings=settings, worker=worker, room_id=rooms[0].id, day=TOMORROW,
                     shift="day")
        db_session.commit()
    page = client.get(f"/book?day={TOMORROW}").text
    row = page.split('<th scope="row">2</th>')[1].split("</tr>")[0]
    assert "You have room 1 then" in row and 'href="/bookings"' in row
    assert row.count('class="button book"') == 1  # the evening shift is still hers to book
    confirm = client.get("/book/confirm", params={"room_id": rooms[1].id, "day": str(TOMORROW), "shift": "day"})
    assert confirm.status_code == 409 and "You already have room 1 booked at that time" in confirm.text


def _confirm(client, room_id):
    return client.get("/book/confirm", params={"room_id": room_id, "day": str(TOMORROW), "shift": "evening"})


def test_the_confirmation_states_the_price_and_books_nothing(client, rentals, app):
    room, = rentals.rooms(1)
    _login(client, rentals, late_cancel_percent=50)
    page = _confirm(client, room.id)  # Tuesday 09:00; Wednesday's evening shift, free to cancel until Tue 18:00
    assert page.status_code == 200
    assert "Price: €120.00" in page.text and "Book for €120.00" in page.text
    assert "You can cancel free of charge until" in page.text and "data-warning" not in page.text
    assert _bookings(app) == 0
    response = client.post("/book", data={"csrf_token": csrf_from(page.text), "room_id": room.id,
                                          "day": str(TOMORROW), "shift": "evening"}, follow_redirects=False)
    assert response.status_code == 303 and _bookings(app) == 1


def test_the_confirmation_warns_when_free_cancellation_ends_within_the_hour(client, rentals):
    room, = rentals.rooms(1)
    clock.freeze(dt.datetime(2026, 12, 1, 17, 15, tzinfo=LOCAL_TZ))
    _login(client, rentals, late_cancel_percent=50)
    page = _confirm(client, room.id).text
    assert 'data-warning="soon"' in page
    assert "Free cancellation ends soon" in page and "18:00" in page and "€60.00 (50% of the price)" in page


def test_the_confirmation_says_cancelling_costs_when_the_deadline_has_passed(client, rentals):
    room, = rentals.rooms(1)
    clock.freeze(dt.datetime(2026, 12, 1, 22, 15, tzinfo=LOCAL_TZ))
    _login(client, rentals, late_cancel_percent=50)  # the 22:15
    page = _confirm(client, room.id).text
    assert 'data-warning="passed"' in page
    assert "Free cancellation is already over" in page and "you pay €60.00 (50% of the price)" in page


def test_a_confirmation_for_a_slot_that_cannot_be_booked_is_the_grid_with_the_reason(client, rentals):
    room, = rentals.rooms(1)
    _login(client, rentals, contract=None)
    page = _confirm(client, room.id)
    assert page.status_code == 403 and "active contract" in page.text


def test_a_new_workers_start_page_says_what_is_missing_before_she_can_book(client, rentals, app):
    _login(client, rentals, contract=None)
    page = client.get("/").text
    assert "Before you can book a room" in page
    step = page.split('data-step="contract"')[1].split("</li>")[0]
    assert "no active contract yet" in step and 'href="/contract"' in step


def test_the_start_page_names_the_house_rules_with_their_link_then_nothing(client, rentals, app):
    worker = _login(client, rentals)
    with app.state.sessionmaker() as db_session:
        rules = contracts_service.publish_house_rules(db_session=db_session, text="Rule one.")
        db_session.commit()
        version = rules.version
    page = client.get("/").text
    assert 'data-step="contract"' not in page
    assert 'data-step="house_rules"' in page and 'href="/contract#house-rules"' in page
    with app.state.sessionmaker() as db_session:
        contracts_service.accept_house_rules(db_session=db_session, worker_id=worker.id, version=version)
        db_session.commit()
    assert "Before you can book a room" not in client.get("/").text


def test_a_contract_starting_later_is_named_with_its_date(client, rentals):
    _login(client, rentals, starts_on=TOMORROW)
    step = client.get("/").text.split('data-step="contract_later"')[1].split("</li>")[0]
    assert f"Your contract starts on {TOMORROW.isoformat()}" in step
