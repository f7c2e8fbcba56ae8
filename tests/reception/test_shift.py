"""Shift handover: start, end with a note (a log entry), and what the next host sees first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from location_ops.accounts.models import Role
from location_ops.alarms import service as alarms_service
from location_ops.clock import clock
from location_ops.reception import service
from location_ops.reception.models import HostShift, LogEntry
from tests.conftest import login
from tests.reception.conftest import csrf


def test_handover_flow_from_one_host_to_the_next(client, place, host_without_shift, make_user):
    host = host_without_shift
    # With no shift open, the host first sees the handover page, not the board.
    first = client.get("/reception", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/reception/shift"
    token = csrf(client, "/reception/shift")
    assert client.post("/reception/shift/start", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert f"since 10:20" in client.get("/reception").text
    again = client.post("/reception/shift/start", data={"csrf_token": token})
    assert again.status_code == 409 and "already open" in again.text

    booking_id = place.booking(place.worker("Sam"), 4)
    client.post(f"/reception/bookings/{booking_id}/check-in", headers={"X-CSRF-Token": token})
    clock.advance(dt.timedelta(hours=1))
    client.post(f"/reception/bookings/{booking_id}/check-out", headers={"X-CSRF-Token": token})
    client.post("/api/v1/log", json={"kind": "incident", "text": "Window in room 2 does not close",
                                     "room_id": place.rooms[2]}, headers={"X-CSRF-Token": token})
    with place.session() as db_session:
        alarms_service.raise_alarm(db_session=db_session, now=clock.now(), source="staff", room_id=place.rooms[1],
                                   user_id=host.id)
        db_session.commit()

    # Ending needs a handover note; nothing changes without one.
    refused = client.post("/reception/shift/end", data={"note": "  ", "csrf_token": token})
    assert refused.status_code == 400 and "handover note" in refused.text
    with place.session() as db_session:
        assert service.current_shift(db_session=db_session) is not None
        assert db_session.scalar(select(LogEntry).where(LogEntry.kind == "handover")) is None
    ended = client.post("/reception/shift/end", data={"note": "Room 2 window: caretaker tomorrow.",
                                                      "csrf_token": token}, follow_redirects=False)
    assert ended.status_code == 303
    with place.session() as db_session:
        shift = db_session.scalar(select(HostShift))
        handover = db_session.get(LogEntry, shift.handover_entry_id)
        assert shift.open_key is None and shift.ended_by_id == host.id and handover.kind == "handover"
        assert handover.text == "Room 2 window: caretaker tomorrow."

    # The next host logs in and first sees what is open.
    client.cookies.clear()
    nxt = make_user(Role.HOST, "next-host")
    assert login(client, nxt.username).status_code == 303
    page = client.get("/reception/shift").text
    handover_part = page.split('id="handover"')[1]
    assert "Room 2 window: caretaker tomorrow." in handover_part
    assert "Room 1" in handover_part and "Raised" in handover_part  # the open alarm
    assert "Room 4" in handover_part  # checked out: needs cleaning
    assert "Window in room 2 does not close" in handover_part
    token = csrf(client, "/reception/shift")
    assert client.post("/reception/shift/start", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert "Shift: next-host since" in client.get("/reception").text


def test_ending_without_an_open_shift_is_refused(client, place, host_without_shift):
    token = csrf(client, "/reception/shift")
    response = client.post("/reception/shift/end", data={"note": "x", "csrf_token": token})
    assert response.status_code == 409 and "No shift is open" in response.text
