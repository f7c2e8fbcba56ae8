"""A new worker who must first accept the house rules finds them from the refusal, on a phone, in Dutch."""

from __future__ import annotations

import datetime as dt

from location_ops.clock import local_today
from location_ops.contracts import service as contracts_service
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, browser_login, screenshot
from tests.rentals.conftest import Rentals


def test_the_house_rules_refusal_leads_to_the_rules_and_then_she_books(new_page, app, settings, backend):
    rentals = Rentals(app, settings)
    rentals.rooms(3)
    rentals.worker("noor", starts_on=local_today() - dt.timedelta(days=1))
    with app.state.sessionmaker() as db_session:
        contracts_service.publish_house_rules(db_session=db_session, text="Wees aardig voor elkaar.")
        db_session.commit()
    page = new_page(PHONE)  # Dutch
    browser_login(page, "noor", PASSWORD)
    page.goto("/book")
    link = page.locator(".booking-blocker a")
    link.wait_for()
    assert link.inner_text() == "Lees de huisregels"
    box = link.bounding_box()
    assert box["height"] >= 44 and page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if backend == "sqlite":
        screenshot(page, "house-rules-refusal-phone")
    link.click()
    page.wait_for_url("**/contract#house-rules")
    assert "Wees aardig voor elkaar." in page.locator("#house-rules").inner_text()
    page.locator("#house-rules button").click()
    page.wait_for_selector("#house-rules .notice")
    page.goto("/book")
    page.locator("a.book").first.click()
    page.click(".booking-confirm button")
    page.wait_for_selector(".booked-notice")
