"""Alarms from a phone or a screen: never refused for a bad room, never leaking other people's."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from location_ops.accounts.models import Role
from location_ops.alarms.models import Alarm
from location_ops.bookings.models import Booking
from location_ops.clock import utcnow
from tests.alarms.test_lifecycle import _headers
from tests.conftest import csrf_from

BAD_ROOMS = ["²", "-1", str(2**63), "x"]


def _alarms(db) -> list[Alarm]:
    db.rollback()
    alarms = list(db.scalars(select(Alarm).order_by(Alarm.id)).unique())
    db.rollback()
    return alarms


@pytest.mark.parametrize("bad", BAD_ROOMS)
def test_phone_page_raises_without_a_room_for_a_bad_room_id(client, login_as, rooms, db, bad):
    login_as(Role.WORKER)
    token = csrf_from(client.get("/alarms/raise").text)
    response = client.post("/alarms/raise", data={"room_id": bad, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    [alarm] = _alarms(db)
    assert (alarm.state, alarm.room_id, alarm.source) == ("raised", None, "phone")


@pytest.mark.parametrize("bad", ["²", True, -1, 2**40, 999999, [1]])
def test_api_raises_without_a_room_for_a_bad_room_id(client, make_user, rooms, db, bad):
    _user, headers = _headers(client, make_user, Role.SECURITY)
    response = client.post("/api/v1/alarms", json={"room_id": bad}, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["room_id"] is None
    assert len(_alarms(db)) == 1


@pytest.mark.parametrize("bad", ["²", "-1", str(2**63), "x"])
def test_alarm_and_device_routes_answer_a_sentence_for_bad_numbers(client, make_user, rooms, bad):
    _host, host_h = _headers(client, make_user, Role.HOST)
    _operator, operator_h = _headers(client, make_user, Role.OPERATOR)
    for method, path, headers in [("post", f"/api/v1/alarms/{bad}/acknowledge", host_h),
                                  ("post", f"/api/v1/alarms/{bad}/resolve", host_h),
                                  ("get", f"/api/v1/alarms/{bad}", host_h),
                                  ("get", f"/api/v1/alarms/1?events_offset={bad}", host_h),
                                  ("post", f"/api/v1/devices/{bad}/test-mode", host_h)]:
        response = getattr(client, method)(path, headers=headers, **({"json": {"resolution": "handled"}}
                                                                     if method == "post" else {}))
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert isinstance(response.json()["detail"], str), path
    response = client.post("/api/v1/devices", json={"family": "native", "device_id": "d1", "room_id": bad},
                           headers=operator_h)
    assert response.status_code == 422 and isinstance(response.json()["detail"], str)


def test_device_form_refuses_a_bad_room_with_a_sentence(client, login_as, rooms, db):
    login_as(Role.OPERATOR)
    token = csrf_from(client.get("/devices").text)
    response = client.post("/devices", data={"family": "native", "device_id": "d1", "room_id": "²",
                                             "csrf_token": token})
    assert response.status_code == 400 and "Traceback" not in response.text
    db.rollback()
    from location_ops.alarms.models import Device

    assert db.scalar(select(func.count()).select_from(Device)) == 0


def test_a_worker_pressing_on_an_open_alarm_gets_her_own_confirmation(client, make_user, rooms, db):
    host, host_h = _headers(client, make_user, Role.HOST)
    first = client.post("/api/v1/alarms", json={"room_id": rooms[4], "note": "private note of the host"},
                        headers=host_h).json()
    client.post(f"/api/v1/alarms/{first['id']}/acknowledge", json={"note": "on my way"}, headers=host_h)
    worker, worker_h = _headers(client, make_user, Role.WORKER)
    response = client.post("/api/v1/alarms", json={"room_id": rooms[4], "note": "hers"}, headers=worker_h)
    assert response.status_code == 201
    answer = response.json()
    assert answer["id"] == first["id"] and answer["received"] is True and answer["room"] == "Room 4"
    text = response.text
    for leak in ("private note of the host", "on my way", "events", "acknowledged_by_id", "raised_by_id",
                 host.username, f'"user_id": {host.id}'):
        assert leak not in text, leak
    # Her own list shows her press; the alarm itself still gives her nothing of other people.
    mine = client.get("/api/v1/alarms", headers=worker_h).json()
    assert [a["id"] for a in mine] == [first["id"]]
    detail = client.get(f"/api/v1/alarms/{first['id']}", headers=worker_h)
    assert detail.status_code == 200 and "private note of the host" not in detail.text
    assert "events" not in detail.json()


def test_a_checked_in_worker_raises_the_alarm_of_her_room(client, make_user, rooms, db):
    worker, worker_h = _headers(client, make_user, Role.WORKER)
    now = utcnow()
    db.add(Booking(room_id=rooms[4], worker_id=worker.id, shift="day", day=now.date(), price_cents=8000,
                   starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=7), created_at=now,
                   checked_in_at=now - dt.timedelta(minutes=50)))
    db.commit()
    raised = client.post("/api/v1/alarms", json={}, headers=worker_h).json()
    assert raised["room_id"] == rooms[4]
    _security, security_h = _headers(client, make_user, Role.SECURITY)
    [seen] = client.get("/api/v1/alarms?state=open", headers=security_h).json()
    assert seen["title"] == "Room 4 — from a phone" and worker.username not in str(seen)


def test_staff_page_shows_paged_events(client, make_user, rooms):
    _host, host_h = _headers(client, make_user, Role.HOST)
    alarm = client.post("/api/v1/alarms", json={"room_id": rooms[2]}, headers=host_h).json()
    for _ in range(8):
        client.post("/api/v1/alarms", json={"room_id": rooms[2]}, headers=host_h)
    page = client.get(f"/api/v1/alarms/{alarm['id']}?events_limit=2&events_offset=1", headers=host_h).json()
    assert page["press_count"] == 9 and page["events_total"] == 9 and len(page["events"]) == 2
    assert [e["kind"] for e in page["events"]] == ["press", "press"]
    listed = client.get("/api/v1/alarms", headers=host_h).json()
    assert "events" not in listed[0], "lists never carry an alarm's whole history"


def test_security_never_sees_the_pseudonym_of_a_phone_alarm(client, make_user, login_as, rooms):
    worker, worker_h = _headers(client, make_user, Role.WORKER)
    client.post("/api/v1/alarms", json={"room_id": rooms[4]}, headers=worker_h)
    login_as(Role.SECURITY)
    for path in ("/alarms", "/alarms/banner"):
        page = client.get(path)
        assert page.status_code == 200 and "Room 4" in page.text
        assert worker.username not in page.text, path


def test_an_alarm_with_control_characters_is_raised_not_refused(client, make_user, login_as, rooms, db):
    _user, headers = _headers(client, make_user, Role.SECURITY)
    response = client.post("/api/v1/alarms", json={"room_id": rooms[3], "note": "help\x00 now\x1b", "\x00": 1},
                           headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["room_id"] == rooms[3]
    from location_ops.alarms.models import AlarmEvent

    assert db.scalar(select(AlarmEvent.note).where(AlarmEvent.kind == "raised")) == "help now"
    db.rollback()  # end the read: on SQLite every transaction holds the write lock
    login_as(Role.WORKER)
    token = csrf_from(client.get("/alarms/raise").text)
    response = client.post("/alarms/raise", data={"room_id": "4\x00", "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert len(_alarms(db)) == 2
