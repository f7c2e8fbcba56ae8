"""The board offers only what then succeeds: "Give room" after an early check-out, held rooms, rounds, visits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from location_ops.accounts.models import Role
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import LOCAL_TZ, clock
from location_ops.hygiene import service as hygiene_service
from location_ops.reception import service
from location_ops.rooms import service as rooms_service
from location_ops.rooms.models import Room
from location_ops.rota import service as rota_service
from tests.reception.conftest import TODAY, at, csrf


def _tile(client, number: int) -> str:
    return client.get("/reception/board").text.split(f'id="room-{number}"')[1].split("</li>")[0]


def _check_in_and_out_early(client, place, name: str, room: int) -> int:
    booking_id = place.booking(place.worker(name), room)
    token = csrf(client)
    assert client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token},
                       follow_redirects=False).status_code == 303
    clock.advance(dt.timedelta(hours=2, seconds=30))  # 12:20:30, the shift runs until 18:00
    sheet = client.get(f"/reception/bookings/{booking_id}/check-out", headers={"HX-Request": "true"}).text
    assert "The rest of the booking is released" in sheet
    assert client.post(f"/reception/bookings/{booking_id}/check-out", headers={"X-CSRF-Token": token},
                       follow_redirects=False).status_code == 303
    return booking_id


def test_an_early_check_out_releases_the_rest_so_the_room_can_be_given_again(client, place, host):
    booking_id = _check_in_and_out_early(client, place, "Mila", 4)
    booking = place.get_booking(booking_id)
    # Still booked (and paid as booked), but holding the room only until the check-out minute.
    assert booking.status == BookingStatus.BOOKED and booking.price_cents == 8000
    assert booking.ends_at == at(TODAY, 12, 20) and booking.released_at is not None
    tile = _tile(client, 4)
    assert 'data-state="needs_cleaning"' in tile and 'data-action="give"' in tile

    zoe = place.worker("Zoe")
    response = client.post(f"/reception/rooms/{place.rooms[4]}/give", data={"worker_id": zoe.id},
                           headers={"X-CSRF-Token": csrf(client)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    with place.session() as db_session:
        given = db_session.scalars(select(Booking).where(Booking.room_id == place.rooms[4],
                                                         Booking.id != booking_id)).one()
        assert given.starts_at == at(TODAY, 12, 20) and given.ends_at == at(TODAY, 18)


def test_a_check_out_after_the_end_keeps_the_booking_as_it_was(client, place, host):
    booking_id = place.booking(place.worker("Late"), 2)
    token = csrf(client)
    client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token})
    clock.freeze(dt.datetime(2026, 12, 1, 18, 30, tzinfo=LOCAL_TZ))
    sheet = client.get(f"/reception/bookings/{booking_id}/check-out", headers={"HX-Request": "true"}).text
    assert "Late: the booking ended at 18:00" in sheet and "is released" not in sheet
    assert client.post(f"/reception/bookings/{booking_id}/check-out", headers={"X-CSRF-Token": token},
                       follow_redirects=False).status_code == 303
    booking = place.get_booking(booking_id)
    assert booking.ends_at == at(TODAY, 18) and booking.released_at is None


def test_every_give_room_the_board_offers_succeeds_and_every_other_tile_says_why(client, place, host, app):
    # Room 1: free. Room 2: out of service from 14:00. Room 3: held by a booking that was checked
    # out before this release existed (still ends at 18:00). Room 4: left early. Room 5: to be
    # cleaned, with the setting that blocks the next check-in until the round is done.
    with place.session() as db_session:
        room2 = db_session.get(Room, place.rooms[2])
        rooms_service.add_outage(db_session=db_session, room=room2, starts_at=at(TODAY, 14),
                                 ends_at=at(TODAY, 16), reason="Leak")
        db_session.commit()
    old = place.booking(place.worker("Old"), 3)
    with place.session() as db_session:
        stored = db_session.get(Booking, old)
        stored.checked_in_at, stored.checked_out_at = at(TODAY, 10, 5), at(TODAY, 10, 10)
        db_session.commit()
    _check_in_and_out_early(client, place, "Mila", 4)
    with place.session() as db_session:
        hygiene_service.mark_needs_cleaning(db_session=db_session, room_id=place.rooms[5], now=clock.now(),
                                            by_user_id=None)
        db_session.commit()
    app.state.settings = app.state.settings.model_copy(update={"hygiene_block_check_in": True})

    with place.session() as db_session:
        board = service.board(db_session=db_session, settings=app.state.settings, now=clock.now())
    offered = {tile.room.number: tile.can_give for tile in board.tiles}
    assert offered == {1: True, 2: False, 3: False, 4: False, 5: False}
    tiles = {number: _tile(client, number) for number in range(1, 6)}
    assert 'data-action="give"' in tiles[1] and 'data-state="free"' in tiles[1]
    assert 'data-state="held"' in tiles[2] and "out of service from 14:00" in tiles[2]
    assert 'data-state="held"' in tiles[3] and "booked until 18:00" in tiles[3]
    assert "Free" not in tiles[3] and 'data-action="give"' not in tiles[3]
    assert "once the hygiene round is done" in tiles[4] and "once the hygiene round is done" in tiles[5]

    # The truth test: what the board offers is exactly what walk_in accepts.
    for number, can_give in offered.items():
        worker = place.worker(f"Try{number}")
        with place.session() as db_session:
            try:
                service.walk_in(db_session=db_session, settings=app.state.settings, worker_id=worker.id,
                                room_id=place.rooms[number], host_id=host.id, now=clock.now())
                accepted = True
            except service.ReceptionError:
                accepted = False
            db_session.rollback()
        assert accepted == can_give, number


def test_no_give_room_when_no_shift_runs_and_the_board_says_so_once(client, place, host):
    clock.freeze(dt.datetime(2026, 12, 1, 7, 0, tzinfo=LOCAL_TZ))  # day shift from 10:00, more than 2 h away
    page = client.get("/reception/board").text
    assert 'data-action="give"' not in page
    assert page.count("rooms can be given from two hours before") == 1


def test_overdue_rounds_are_one_line_for_the_board_not_a_badge_per_tile(client, place, host):
    clock.freeze(dt.datetime(2026, 12, 1, 13, 0, tzinfo=LOCAL_TZ))  # the daily round was due at 12:00
    page = client.get("/reception/board").text
    assert page.count("Daily round overdue in every room.") == 1
    assert "daily round overdue" not in page and "rx-badge-round" not in page


def test_a_visit_that_is_over_is_not_announced_as_coming(client, place, host, make_user):
    caseworker = make_user(Role.CASEWORKER, "Sanne")
    with place.session() as db_session:
        rota_service.create_visit(db_session=db_session, actor=db_session.get(type(caseworker), caseworker.id),
                                  caseworker_id=caseworker.id, weekday=TODAY.weekday(), starts_at=dt.time(14),
                                  ends_at=dt.time(16), valid_from=TODAY)
        db_session.commit()
    header = client.get("/reception/board").text.split('class="rx-visits"')[1].split("</p>")[0]
    assert "Sanne today 14:00–16:00" in header
    clock.freeze(dt.datetime(2026, 12, 1, 22, 17, tzinfo=LOCAL_TZ))
    header = client.get("/reception/board").text.split('class="rx-visits"')[1].split("</p>")[0]
    assert "Sanne today" not in header
    assert "Sanne was here 14:00–16:00 (over)" in header and "No more caseworker visits today" in header
