"""In a real browser: the board after an early check-out (1280×800) offers the room again, and giving it works;
the booking confirmation on a phone (390×844) states the price and what cancelling costs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from location_ops.accounts.models import Role
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import LOCAL_TZ, clock
from location_ops.rooms import service as rooms_service
from location_ops.rooms.models import Room
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, browser_login, screenshot
from tests.rentals.conftest import Rentals

#: A Tuesday after the real date (session cookies carry absolute expiry times), 12:20 at the location.
BOARD_TIME = dt.datetime(2026, 12, 15, 12, 20, tzinfo=LOCAL_TZ)


def _at(hour: int, minute: int = 0) -> dt.datetime:
    return BOARD_TIME.replace(hour=hour, minute=minute).astimezone(dt.UTC)


def _choose_worker(page, name: str) -> None:
    """Pick her from the sheet's list of workers with an active contract."""
    page.locator("#sheet [name=worker_id]").select_option(label=name)


def test_the_board_after_an_early_check_out_offers_the_room_and_giving_it_works(app, new_page, make_user,
                                                                               backend):
    clock.freeze(BOARD_TIME)
    rentals = Rentals(app, app.state.settings)
    rentals.rooms(6)
    mila, _zoe, old = (rentals.worker(name, starts_on=BOARD_TIME.date() - dt.timedelta(days=5))
                       for name in ("Mila", "Zoe", "Old"))
    host = make_user(Role.HOST, "gastvrouw")
    with app.state.sessionmaker() as db_session:
        ids = {room.number: room.id for room in db_session.scalars(select(Room))}
        slot = rooms_service.slot_for(db_session=db_session, day=BOARD_TIME.date(), shift_name="day")
        for worker, number, checked_out in ((mila, 4, None), (old, 2, _at(10, 30))):
            db_session.add(Booking(room_id=ids[number], worker_id=worker.id, shift="day", day=BOARD_TIME.date(),
                                   starts_at=slot.starts_at, ends_at=slot.ends_at, status=BookingStatus.BOOKED,
                                   price_cents=8000, charge_cents=0, created_at=_at(9), checked_in_at=_at(10, 5),
                                   checked_out_at=checked_out))
        db_session.commit()

    page = new_page(TABLET)  # in Dutch, as at the location
    browser_login(page, host.username, PASSWORD)
    page.goto("/reception/shift")
    page.click("form[action='/reception/shift/start'] button")  # the host starts her shift first
    page.goto("/reception")
    assert page.get_attribute("#room-4", "data-state") == "occupied"
    # Mila leaves at 12:20, six hours early.
    page.click("#room-4 [data-action=check-out]")
    page.click("#sheet .rx-confirm")
    page.wait_for_selector("#room-4[data-state=needs_cleaning]")
    assert page.locator("#room-4 [data-action=give]").count() == 1
    # Room 2 was checked out before early check-outs released a booking: it says until when it is held.
    assert page.get_attribute("#room-2", "data-state") == "held"
    assert page.locator("#room-2 [data-action=give]").count() == 0 and "18:00" in page.inner_text("#room-2")
    # The overdue daily round is one line for the board, not a badge on every tile.
    assert page.locator("[data-overdue=rounds]").count() == 1 and page.locator(".rx-badge-round").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    screenshot(page, f"board-after-early-check-out-{backend}")

    page.click("#room-4 [data-action=give]")
    page.wait_for_selector("#sheet [name=worker_id]")
    _choose_worker(page, "Zoe")
    page.click("#sheet .rx-confirm")
    page.wait_for_selector("#room-4[data-state=occupied]")
    assert "Zoe" in page.inner_text("#room-4")
    screenshot(page, f"board-room-given-again-{backend}")
    with app.state.sessionmaker() as db_session:
        given = db_session.scalars(select(Booking).where(Booking.room_id == ids[4], Booking.worker_id != mila.id)).one()
        assert given.starts_at == _at(12, 20) and given.checked_in_at is not None


def test_the_booking_confirmation_on_a_phone_says_the_price_and_the_cancellation_cost(app, new_page, backend):
    late = dt.datetime(2026, 12, 15, 22, 15, tzinfo=LOCAL_TZ)  # the 22:15, booking tomorrow evening
    clock.freeze(late)
    rentals = Rentals(app, app.state.settings)
    rentals.rooms(6)
    rentals.worker("jade", starts_on=late.date() - dt.timedelta(days=1), late_cancel_percent=50)
    tomorrow = late.date() + dt.timedelta(days=1)
    page = new_page(PHONE)
    browser_login(page, "jade", PASSWORD)
    page.goto(f"/book?day={tomorrow.isoformat()}")
    book = page.locator("a.book").nth(1)  # room 1, evening
    box = book.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    book.click()
    page.wait_for_selector(".booking-confirm")
    text = page.inner_text(".booking-confirm").replace("\xa0", " ")
    assert page.get_attribute(".confirm-price", "data-price") == "12000" and "120,00" in text
    assert page.get_attribute(".cancel-terms", "data-warning") == "passed"
    assert "Gratis annuleren kan voor deze dienst niet meer" in text and "60,00" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    confirm = page.locator(".booking-confirm button")
    assert confirm.bounding_box()["height"] >= 44
    screenshot(page, f"booking-confirm-phone-{backend}")
    with app.state.sessionmaker() as db_session:
        assert db_session.scalars(select(Booking)).all() == []  # nothing booked by looking
    confirm.click()
    page.wait_for_selector(".booked-notice")
    assert page.locator(".slot-mine").count() == 1
    screenshot(page, f"booking-confirmed-phone-{backend}")
