"""A worker books and cancels a room on a phone (390×844), in a real browser against a real server."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import local_today
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, browser_login, screenshot
from tests.rentals.conftest import Rentals


def test_worker_books_and_cancels_on_a_phone(new_page, app, settings, backend):
    rentals = Rentals(app, settings)
    rentals.rooms(15)
    rentals.worker("jade", starts_on=local_today() - dt.timedelta(days=1))
    tomorrow = local_today() + dt.timedelta(days=1)
    page = new_page(PHONE, locale="en-GB")
    browser_login(page, "jade", PASSWORD)
    page.goto("/book")
    assert page.title() == "Planner" and page.locator("#quick-exit").is_visible()
    page.locator(".day-tab").nth(1).click()  # tap 1: tomorrow
    page.wait_for_url(f"**/book?day={tomorrow.isoformat()}")
    if backend == "sqlite":
        screenshot(page, "booking-grid-phone")
    # Nothing sticks out sideways on a phone, and the buttons are thumb-sized.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    book = page.locator("a.book").first
    box = book.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 48
    book.click()  # tap 2: the price and the cancellation terms
    page.wait_for_selector(".booking-confirm")
    page.click(".booking-confirm button")  # tap 3: booked
    page.wait_for_selector(".booked-notice")
    assert "Room 1" in page.locator(".booked-notice").inner_text()
    assert page.locator(".slot-mine").count() == 1
    if backend == "sqlite":
        screenshot(page, "booking-booked-phone")
    page.click(".booked-notice a")
    page.wait_for_url("**/bookings")
    if backend == "sqlite":
        screenshot(page, "booking-mine-phone")
    page.click(".booking-item a.button")
    page.wait_for_selector(".cancel-terms")
    assert "free" in page.locator(".cancel-terms").inner_text().lower()
    if backend == "sqlite":
        screenshot(page, "booking-cancel-phone")
    page.click("button.danger")
    page.wait_for_url("**/bookings?cancelled=1")
    assert page.locator(".booking-item a.button").count() == 0
    with app.state.sessionmaker() as db_session:
        statuses = db_session.scalars(select(Booking.status)).all()
    assert statuses == [BookingStatus.CANCELLED]
    for name, path in (("contract", "/contract"), ("statement", "/statements")):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if backend == "sqlite":
            screenshot(page, f"booking-{name}-phone")
