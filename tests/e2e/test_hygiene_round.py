"""A host does a turnover round on the reception tablet (1280x800), item by item, with htmx."""

from __future__ import annotations

import pytest

from location_ops.accounts.models import Role
from location_ops.clock import utcnow
from location_ops.hygiene import service
from location_ops.hygiene.models import HygieneRound, RoundStatus, SupplyNeed
from location_ops.rooms.models import Room
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, browser_login, screenshot


# The round's rules run on both databases in tests/hygiene; the browser adds the screen, so SQLite suffices.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_host_does_a_turnover_round_on_the_tablet(new_page, make_user, app, backend):
    make_user(Role.HOST, "e2e-hygiene-host")
    with app.state.sessionmaker() as db_session:
        rooms = [Room(number=n, name=f"Room {n}", active=True) for n in range(1, 7)]
        db_session.add_all(rooms)
        db_session.flush()
        room_id = rooms[3].id
        service.mark_needs_cleaning(db_session=db_session, room_id=room_id, now=utcnow(), by_user_id=None)
        db_session.commit()

    page = new_page(TABLET, locale="en-GB")
    browser_login(page, "e2e-hygiene-host", PASSWORD)
    page.goto("/hygiene")
    card = page.locator(f"#room-{room_id}")
    assert card.locator(".hy-badge-dirty").is_visible()
    screenshot(page, "hygiene-overview-tablet")

    card.locator("button[data-kind=turnover]").click()
    page.wait_for_url("**/rounds/**")
    items = page.locator(".hy-item")
    assert items.count() == 10
    assert page.locator(".hy-progress-count").inner_text() == "0 of 10"
    box = items.first.locator(".hy-ok").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 48
    screenshot(page, "hygiene-round-start-tablet")

    for index in range(10):
        item = page.locator(".hy-item").nth(index)
        text = item.locator(".hy-text").inner_text()
        if text == "Panic button in place and its light on":
            item.locator(".hy-problem-open").click()
            page.locator(f".hy-item:nth-child({index + 1}).hy-item-problem").wait_for()
            item = page.locator(".hy-item").nth(index)
            screenshot(page, "hygiene-round-problem-open-tablet")
            item.locator(".hy-fail").click()  # no note yet: refused, shown in place
            item.locator(".error").wait_for()
            assert "note" in item.locator(".error").inner_text()
            screenshot(page, "hygiene-round-problem-refused-tablet")
            item = page.locator(".hy-item").nth(index)
            item.locator("textarea[name=note]").fill("Light stays off; battery?")
            item.locator("input[name=out_of_service]").check()
            item.locator(".hy-fail").click()
            page.locator(f".hy-item:nth-child({index + 1}).hy-item-failed").wait_for()
            continue
        if text == "Condoms stocked":
            item.locator("input[name=low_stock]").check()
        item.locator(".hy-ok").click()
        page.locator(f".hy-item:nth-child({index + 1}).hy-item-ok").wait_for()
    assert page.locator(".hy-progress-count").inner_text() == "10 of 10"
    screenshot(page, "hygiene-round-answered-tablet")

    page.locator(".hy-complete").click()
    page.wait_for_url("**/hygiene?done=4")
    card = page.locator(f"#room-{room_id}")
    assert card.locator(".hy-badge-out").is_visible() and card.locator(".hy-badge-dirty").count() == 0
    screenshot(page, "hygiene-overview-after-tablet")

    with app.state.sessionmaker() as db_session:
        done = db_session.query(HygieneRound).filter_by(room_id=room_id).one()
        assert done.status == RoundStatus.COMPLETED and done.done_by_role == "host"
        assert [need.item_key for need in db_session.query(SupplyNeed).all()] == ["condoms"]
        assert service.check_in_gate(db_session=db_session, room_id=room_id, now=utcnow(),
                                     settings=app.state.settings) == "block"

    # The record of the round, and the same round page on a phone.
    page.goto("/hygiene/supplies")
    assert "Condoms stocked" in page.locator("main").inner_text()
    screenshot(page, "hygiene-supplies-tablet")
    page.goto("/hygiene/report")
    assert "Light stays off; battery?" in page.locator("main").inner_text()
    screenshot(page, "hygiene-report-tablet")
    phone = new_page(PHONE, locale="en-GB")
    browser_login(phone, "e2e-hygiene-host", PASSWORD)
    phone.goto(f"/hygiene/rooms/{room_id}/rounds/{done.id}")
    assert phone.locator(".hy-item-failed .hy-note").inner_text().startswith("Light stays off")
    screenshot(phone, "hygiene-round-record-phone")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_worker_does_own_room_after_shift_on_the_phone(new_page, make_user, app, backend):
    import datetime as dt

    from location_ops.bookings.models import Booking, BookingStatus

    app.state.settings = app.state.settings.model_copy(update={"hygiene_worker_rounds": True})
    worker = make_user(Role.WORKER, "e2e-hygiene-roos")
    now = utcnow()
    with app.state.sessionmaker() as db_session:
        rooms = [Room(number=n, name=f"Room {n}", active=True) for n in (1, 2)]
        db_session.add_all(rooms)
        db_session.flush()
        db_session.add(Booking(room_id=rooms[1].id, worker_id=worker.id, shift="day", day=now.date(),
                               starts_at=now - dt.timedelta(hours=9), ends_at=now - dt.timedelta(minutes=20),
                               status=BookingStatus.BOOKED, price_cents=8000, created_at=now - dt.timedelta(days=2),
                               checked_in_at=now - dt.timedelta(hours=9),
                               checked_out_at=now - dt.timedelta(minutes=20)))
        db_session.commit()
        room_id = rooms[1].id

    page = new_page(PHONE, locale="en-GB")
    browser_login(page, "e2e-hygiene-roos", PASSWORD)
    page.goto("/hygiene")
    assert page.title() == "Planner" and page.locator("#quick-exit").is_visible()
    assert page.locator(".hy-room").count() == 1  # only the room they had
    screenshot(page, "hygiene-worker-phone")
    page.locator(f"#room-{room_id} button[data-kind=turnover]").click()
    page.wait_for_url("**/rounds/**")
    box = page.locator(".hy-ok").first.bounding_box()
    assert box["height"] >= 48 and box["x"] + box["width"] <= 390
    for index in range(page.locator(".hy-item").count()):
        page.locator(".hy-item").nth(index).locator(".hy-ok").click()
        page.locator(f".hy-item:nth-child({index + 1}).hy-item-ok").wait_for()
    screenshot(page, "hygiene-worker-round-phone")
    page.locator(".hy-complete").click()
    page.wait_for_url("**/hygiene?done=2")

    with app.state.sessionmaker() as db_session:
        done = db_session.query(HygieneRound).filter_by(room_id=room_id).one()
        assert done.done_by_role == "worker" and done.done_by_id is None
