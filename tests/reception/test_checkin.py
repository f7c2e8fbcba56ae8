"""Check-in and check-out against today's bookings; giving a free room on the spot; the board's tiles."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from location_ops.alarms import service as alarms_service
from location_ops.bookings.models import Booking
from location_ops.clock import LOCAL_TZ, clock
from location_ops.hygiene import service as hygiene_service
from location_ops.hygiene.models import RoundKind
from location_ops.reception import service
from location_ops.reception.models import LogEntry
from location_ops.web import field_id
from tests.reception.conftest import TODAY, csrf


def _entries(place, **filters) -> list[LogEntry]:
    with place.session() as db_session:
        query = select(LogEntry).order_by(LogEntry.id)
        for key, value in filters.items():
            query = query.where(getattr(LogEntry, key) == value)
        return list(db_session.scalars(query))


def test_check_in_then_out_changes_the_tile_and_writes_the_log(client, place, host):
    mila = place.worker("Mila")
    booking_id = place.booking(mila, 2)
    page = client.get("/reception").text
    assert 'id="room-2"' in page and 'data-state="booked"' in page and "Mila" in page
    token = csrf(client)
    sheet = client.get(f"/reception/bookings/{booking_id}/check-in", headers={"HX-Request": "true"})
    assert sheet.status_code == 200 and "Mila" in sheet.text and "rx-confirm" in sheet.text

    response = client.post(f"/reception/bookings/{booking_id}/check-in", headers={"HX-Request": "true",
                                                                                   "X-CSRF-Token": token})
    assert response.status_code == 200
    assert 'id="sheet"' in response.text and 'hx-swap-oob' in response.text
    tile = response.text.split('id="room-2"')[1].split("</li>")[0]
    assert 'data-state="occupied"' in tile and "Mila" in tile and "10:20" in tile
    assert "late" in tile  # 20 minutes after the 10:00 start, past the 15-minute grace
    assert place.get_booking(booking_id).checked_in_at is not None
    [entry] = _entries(place, kind="worker_in")
    assert (entry.room_id, entry.booking_id, entry.worker_id, entry.timing, entry.author_id) == (
        place.rooms[2], booking_id, mila.id, "late", host.id)

    clock.advance(dt.timedelta(hours=2))
    response = client.post(f"/reception/bookings/{booking_id}/check-out", headers={"X-CSRF-Token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert place.get_booking(booking_id).checked_out_at is not None
    [out] = _entries(place, kind="worker_out")
    assert out.timing == "early"  # left at 12:20, booked until 18:00
    with place.session() as db_session:
        assert hygiene_service.open_round(db_session=db_session, room_id=place.rooms[2],
                                          kind=RoundKind.TURNOVER) is not None
    tile = client.get("/reception/board").text.split('id="room-2"')[1].split("</li>")[0]
    assert 'data-state="needs_cleaning"' in tile


def test_double_check_in_is_refused_and_writes_nothing_more(client, place, host):
    booking_id = place.booking(place.worker("Noor"), 1)
    token = csrf(client)
    assert client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token},
                       follow_redirects=False).status_code == 303
    first = place.get_booking(booking_id).checked_in_at
    clock.advance(dt.timedelta(minutes=5))
    again = client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token})
    assert again.status_code == 409
    assert "Noor is already checked in to room 1 (since 10:20)" in again.text
    assert place.get_booking(booking_id).checked_in_at == first
    assert len(_entries(place, kind="worker_in")) == 1
    # In the sheet, an htmx request gets the same sentence, put where the person looks.
    sheet = client.post(f"/reception/bookings/{booking_id}/check-in",
                        headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert sheet.status_code == 409 and sheet.headers["HX-Retarget"] == "#sheet"
    assert "already checked in" in sheet.text


def test_check_in_of_another_days_booking_is_refused(client, place, host):
    worker = place.worker("Iris")
    tomorrow = place.booking(worker, 3, day=TODAY + dt.timedelta(days=1))
    yesterday = place.booking(worker, 4, day=TODAY - dt.timedelta(days=1))
    token = csrf(client)
    for booking_id in (tomorrow, yesterday):
        response = client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token})
        assert response.status_code == 409
        assert "not today" in response.text
        assert place.get_booking(booking_id).checked_in_at is None
    assert _entries(place) == []
    assert client.post("/reception/bookings/999999/check-in", headers={"X-CSRF-Token": token}).status_code == 404


def test_check_in_while_the_room_is_still_occupied_is_refused(client, place, host):
    first = place.booking(place.worker("Ada"), 1)
    second = place.booking(place.worker("Bo"), 1, shift="evening")
    token = csrf(client)
    client.post(f"/reception/bookings/{first}/check-in", headers={"X-CSRF-Token": token})
    response = client.post(f"/reception/bookings/{second}/check-in", headers={"X-CSRF-Token": token})
    assert response.status_code == 409 and "still occupied by Ada" in response.text
    assert place.get_booking(second).checked_in_at is None


def test_check_out_twice_or_before_check_in_is_refused(client, place, host):
    booking_id = place.booking(place.worker("Lou"), 1)
    token = csrf(client)
    response = client.post(f"/reception/bookings/{booking_id}/check-out", headers={"X-CSRF-Token": token})
    assert response.status_code == 409 and "not checked in" in response.text
    client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token})
    client.post(f"/reception/bookings/{booking_id}/check-out", headers={"X-CSRF-Token": token})
    response = client.post(f"/reception/bookings/{booking_id}/check-out", headers={"X-CSRF-Token": token})
    assert response.status_code == 409 and "already checked out" in response.text
    assert len(_entries(place, kind="worker_out")) == 1


def test_hygiene_gate_warns_or_blocks_the_next_check_in(client, place, host, app):
    worker = place.worker("Eva")
    with place.session() as db_session:
        hygiene_service.mark_needs_cleaning(db_session=db_session, room_id=place.rooms[1], now=clock.now(),
                                            by_user_id=None)
        db_session.commit()
    booking_id = place.booking(worker, 1)
    sheet = client.get(f"/reception/bookings/{booking_id}/check-in", headers={"HX-Request": "true"})
    assert "turnover round of room 1 is not done yet" in sheet.text
    app.state.settings = app.state.settings.model_copy(update={"hygiene_block_check_in": True})
    token = csrf(client)
    response = client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token})
    assert response.status_code == 409 and "hygiene round must be done first" in response.text
    assert place.get_booking(booking_id).checked_in_at is None and _entries(place) == []
    app.state.settings = app.state.settings.model_copy(update={"hygiene_block_check_in": False})
    response = client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token},
                           follow_redirects=False)
    assert response.status_code == 303


def test_a_worker_without_booking_gets_a_free_room_through_the_booking_rules(client, place, host):
    zoe = place.worker("Zoe")
    nocontract = place.worker("Nocontract", contract=False)
    token = csrf(client)
    # The sheet offers the workers with a contract active today, not a name to type.
    sheet = client.get(f"/reception/rooms/{place.rooms[5]}/give", headers={"HX-Request": "true"}).text
    assert f'<option value="{zoe.id}">Zoe</option>' in sheet
    assert "Nocontract" not in sheet and 'name="pseudonym"' not in sheet
    response = client.post(f"/reception/rooms/{place.rooms[5]}/give", data={"worker_id": str(zoe.id)},
                           headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    with place.session() as db_session:
        [booking] = db_session.scalars(select(Booking).where(Booking.room_id == place.rooms[5])).all()
        assert booking.checked_in_at is not None and booking.shift == "day"
        assert booking.ends_at == dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)
    # One room per person at a time: the database constraint, through the bookings service.
    response = client.post(f"/reception/rooms/{place.rooms[4]}/give", data={"worker_id": str(zoe.id)},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 409 and "One room per person" in response.text
    response = client.post(f"/reception/rooms/{place.rooms[4]}/give", data={"worker_id": str(nocontract.id)},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 403 and "active contract" in response.text
    response = client.post(f"/reception/rooms/{place.rooms[4]}/give", data={"worker_id": "999999"},
                           headers={"X-CSRF-Token": token})
    assert response.status_code == 400 and "Choose a worker from the list." in response.text
    with place.session() as db_session:
        assert db_session.scalar(select(func.count(Booking.id))) == 1
    assert len(_entries(place)) == 1


def test_a_refused_give_shows_the_sentence_at_the_worker_in_the_sheet(client, place, host):
    """htmx: the sheet is swapped again with the error at the field and the choice kept, the board stays."""
    nocontract = place.worker("Nocontract", contract=False)
    zoe = place.worker("Zoe")
    with place.session() as db_session:
        # Zoe's contract is active but she has not accepted the house rules published since.
        from location_ops.contracts import service as contracts_service
        contracts_service.publish_house_rules(db_session=db_session, text="Be kind.")
        db_session.commit()
    path = f"/reception/rooms/{place.rooms[4]}/give"
    response = client.post(path, data={"worker_id": str(zoe.id)},
                           headers={"X-CSRF-Token": csrf(client), "HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#sheet" and response.headers["HX-Reswap"] == "innerHTML"
    sheet = response.text
    assert "<html" not in sheet and 'class="rx-sheet"' in sheet  # the fragment, not a page
    error_id = field_id(f"{path}-worker_id") + "-error"
    assert 'aria-describedby="%s"' % error_id in sheet and 'aria-invalid="true"' in sheet
    assert f'id="{error_id}"' in sheet and "house rules" in sheet.split(f'id="{error_id}"')[1].split("</span>")[0]
    assert f'<option value="{zoe.id}" selected>Zoe</option>' in sheet
    assert "Nocontract" not in sheet and nocontract.id
    assert ">Close<" not in sheet
    assert _entries(place) == []


def test_board_shows_alarm_over_everything_and_todays_visits_but_not_who_asked(client, place, host, make_user):
    booking_id = place.booking(place.worker("Kim"), 3)
    token = csrf(client)
    client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token})
    with place.session() as db_session:
        alarms_service.raise_alarm(db_session=db_session, now=clock.now(), source="staff",
                                   room_id=place.rooms[3], user_id=host.id)
        db_session.commit()
    tile = client.get("/reception/board").text.split('id="room-3"')[1].split("</li>")[0]
    assert 'data-state="alarm"' in tile and "Kim" in tile  # the alarm wins, the occupant stays visible
    with place.session() as db_session:
        board = service.board(db_session=db_session, settings=place.settings, now=clock.now())
    assert [t.state for t in board.tiles][2] == service.TileState.ALARM
    assert [t.state for t in board.tiles][0] == service.TileState.FREE


def test_operator_sees_the_board_without_actions(client, place, login_operator):
    place.booking(place.worker("Fay"), 1)
    login_operator()
    page = client.get("/reception")
    assert page.status_code == 200 and "Fay" in page.text
    assert "/check-in" not in page.text and "/give" not in page.text


def test_a_check_out_forgotten_days_ago_does_not_lock_the_room(client, place, host):
    old = place.booking(place.worker("Old"), 2, day=TODAY - dt.timedelta(days=3))
    with place.session() as db_session:
        db_session.get(Booking, old).checked_in_at = clock.now() - dt.timedelta(days=3)
        db_session.commit()
    booking_id = place.booking(place.worker("New"), 2)
    response = client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": csrf(client)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def test_giving_a_room_before_the_shift_begins_books_that_shift_and_marks_early(client, place, host):
    early = place.worker("Early")
    clock.freeze(dt.datetime(2026, 12, 1, 9, 30, tzinfo=LOCAL_TZ))
    # 09:30 local: the day shift (10:00) has not begun, so the bookings service books it as a worker would.
    with place.session() as db_session:
        arrival = service.walk_in(db_session=db_session, settings=place.settings, worker_id=early.id,
                                  room_id=place.rooms[1], host_id=host.id, now=clock.now())
        db_session.commit()
        assert arrival.entry.timing == "early" and arrival.booking.shift == "day"
        assert arrival.booking.starts_at == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
