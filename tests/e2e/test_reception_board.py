"""The reception board at 1280x800: a press over MQTT turns the tile red and raises the banner without a
reload; acknowledge and resolve; check-in and check-out in two taps; a network cut shows plainly and the
board is redrawn whole when the connection is back."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from location_ops.accounts.models import Role, User
from location_ops.alarms import service as alarms_service
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import local_today, utcnow
from location_ops.hygiene import service as hygiene_service
from location_ops.rooms.models import Room, RoomOutage
from location_ops.rota import service as rota_service
from tests.alarms.conftest import publish
from tests.conftest import PASSWORD
from tests.e2e.conftest import TABLET, browser_login, screenshot


@pytest.fixture
def settings(settings, mosquitto):
    return settings.model_copy(update={"mqtt_url": mosquitto.url, "mqtt_client_id": f"lo-e2e-{uuid.uuid4().hex[:8]}",
                                       "site": f"e{uuid.uuid4().hex[:6]}"})


def _booking(db_session, room_id: int, worker_id: int, *, checked_in: bool = False) -> Booking:
    now = utcnow().replace(second=0, microsecond=0)
    booking = Booking(room_id=room_id, worker_id=worker_id, shift="day", day=local_today(),
                      starts_at=now - dt.timedelta(minutes=10), ends_at=now + dt.timedelta(hours=6),
                      status=BookingStatus.BOOKED, price_cents=8000, charge_cents=0, created_at=now,
                      checked_in_at=now - dt.timedelta(minutes=5) if checked_in else None)
    db_session.add(booking)
    db_session.flush()
    return booking


def _state(page, number: int) -> str:
    return page.get_attribute(f"#room-{number}", "data-state")


def test_reception_board_live(app, live_server, new_page, make_user, mosquitto, backend):
    mila, noor, iris = (make_user(Role.WORKER, name) for name in ("Mila", "Noor", "Iris"))
    caseworker = make_user(Role.CASEWORKER, "sanne")
    operator = make_user(Role.OPERATOR, "op-rx")
    with app.state.sessionmaker() as db_session:
        rooms = [Room(number=n, name=f"Room {n}", active=True) for n in range(1, 16)]
        db_session.add_all(rooms)
        db_session.flush()
        ids = {room.number: room.id for room in rooms}
        alarms_service.register_device(db_session=db_session, family="zigbee2mqtt", device_id="panic_room_3",
                                       room_id=ids[3], label="bed", now=utcnow())
        mila_booking = _booking(db_session, ids[3], mila.id)
        noor_booking = _booking(db_session, ids[5], noor.id, checked_in=True)
        iris_booking = _booking(db_session, ids[1], iris.id)
        hygiene_service.mark_needs_cleaning(db_session=db_session, room_id=ids[7], now=utcnow(), by_user_id=None)
        db_session.add(RoomOutage(room_id=ids[9], starts_at=utcnow() - dt.timedelta(hours=1),
                                  ends_at=utcnow() + dt.timedelta(days=2), reason="Shower repair"))
        rota_service.create_visit(db_session=db_session, actor=db_session.get(User, operator.id),
                                  caseworker_id=caseworker.id, weekday=local_today().weekday(),
                                  starts_at=dt.time(14), ends_at=dt.time(16))
        db_session.commit()
    host = make_user(Role.HOST, "gastvrouw")
    page = new_page(TABLET, locale="en-GB")
    browser_login(page, host.username, PASSWORD)
    # No shift open: the host first sees what is open, then starts her shift and gets the board.
    page.goto("/reception")
    page.wait_for_url("**/reception/shift")
    assert "Rooms that need cleaning" in page.inner_text("#handover") and "Room 7" in page.inner_text("#handover")
    page.click("#start-shift button")
    page.wait_for_url("**/reception")
    page.wait_for_selector("body[data-live='1']")
    page.wait_for_selector("#alarm-banner [data-bridge=connected]", state="attached")
    assert [_state(page, n) for n in (1, 3, 5, 7, 9, 2)] == [
        "booked", "booked", "occupied", "needs_cleaning", "out_of_service", "free"]
    assert "Noor" in page.inner_text("#room-5")
    assert "sanne today 14:00–16:00" in page.inner_text(".rx-visits")
    screenshot(page, f"reception-board-{backend}")

    # A press over MQTT: the banner covers the screen and the tile turns red, with no reload.
    page.evaluate("window.__noReload = true")
    publish(mosquitto.url, ("zigbee2mqtt/panic_room_3", '{"action":"single","battery":91}', False))
    page.wait_for_selector("#alarm-banner .alarm-raised")
    page.wait_for_selector("#room-3[data-state=alarm]", state="attached")
    assert page.evaluate("window.__noReload") is True
    screenshot(page, f"reception-board-alarm-raised-{backend}")
    page.click("#alarm-banner .alarm-ack")
    page.wait_for_selector("#alarm-banner .alarm-acknowledged")
    page.wait_for_selector("#room-3[data-state=alarm] .rx-alarm-line:has-text('acknowledged')")
    tile_colour = page.eval_on_selector("#room-3", "e => getComputedStyle(e).backgroundColor")
    assert tile_colour == "rgb(179, 38, 30)", tile_colour
    screenshot(page, f"reception-board-alarm-acknowledged-{backend}")
    page.select_option("#alarm-banner select[name=resolution]", "handled")
    page.click("#alarm-banner .alarm-resolve-button")
    page.wait_for_selector("#alarm-banner [data-alarm-id]", state="detached")
    page.wait_for_selector("#room-3[data-state=booked]")

    # A second screen (the operator's laptop, say) follows the host's changes live.
    other = new_page(TABLET, locale="en-GB")
    browser_login(other, host.username, PASSWORD)
    other.goto("/reception")
    other.wait_for_selector("body[data-live='1']")
    other.evaluate("window.__noReload = true")

    # Check-in: two taps (the tile's button, then confirm).
    page.click("#room-3 [data-action=check-in]")
    page.wait_for_selector("#sheet .rx-confirm")
    assert "Mila" in page.inner_text("#sheet")
    screenshot(page, f"reception-board-check-in-sheet-{backend}")
    page.click("#sheet .rx-confirm")
    page.wait_for_selector("#room-3[data-state=occupied]")
    assert "Mila" in page.inner_text("#room-3") and page.inner_text("#sheet").strip() == ""
    # Check-out: the room needs cleaning.
    page.click("#room-5 [data-action=check-out]")
    page.click("#sheet .rx-confirm")
    page.wait_for_selector("#room-5[data-state=needs_cleaning]")
    other.wait_for_selector("#room-3[data-state=occupied]")
    other.wait_for_selector("#room-5[data-state=needs_cleaning]")
    assert other.evaluate("window.__noReload") is True
    other.context.close()
    screenshot(page, f"reception-board-after-check-in-out-{backend}")
    # A refused action explains itself in the sheet: Noor is already out.
    with app.state.sessionmaker() as db_session:
        assert db_session.get(Booking, mila_booking.id).checked_in_at is not None
        assert db_session.get(Booking, noor_booking.id).checked_out_at is not None

    # The network goes away: the board says so. Meanwhile Iris is checked in elsewhere (no event reaches us).
    page.context.set_offline(True)
    page.wait_for_selector("#rx-offline", state="visible")
    with app.state.sessionmaker() as db_session:
        db_session.get(Booking, iris_booking.id).checked_in_at = utcnow()
        db_session.commit()
    screenshot(page, f"reception-board-offline-{backend}")
    assert _state(page, 1) == "booked"
    page.context.set_offline(False)
    page.wait_for_selector("#rx-offline", state="hidden")
    page.wait_for_selector("#room-1[data-state=occupied]")
    assert page.evaluate("window.__noReload") is True, "the board was redrawn, not reloaded"
    screenshot(page, f"reception-board-reconnected-{backend}")

    # The log shows what the board did (check-in and check-out written by the board), and a visitor is two taps.
    page.goto("/reception/log")
    page.select_option("#visitor-form select[name=room]", label="4")
    page.click("#visitor-form button[value=visitor_in]")
    page.wait_for_url("**/reception/log?added=*")
    rows = page.inner_text("table.rx-log")
    assert "Visitor arrived" in rows and "Mila" in rows and "Worker out" in rows
    screenshot(page, f"reception-log-{backend}")
    page.goto("/reception/shift")
    page.fill("#end-shift textarea[name=note]", "Room 5 still to clean. Quiet evening.")
    screenshot(page, f"reception-shift-{backend}")
