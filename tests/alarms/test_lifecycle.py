"""The alarm lifecycle through the API: raise, acknowledge, resolve; who sees what."""

from __future__ import annotations

import pyotp

from location_ops.accounts.models import Role
from location_ops.alarms.models import AlarmEvent
from sqlalchemy import select

from tests.conftest import api_token


def _headers(client, make_user, role):
    if Role(role) == Role.OPERATOR:
        secret = pyotp.random_base32()
        user = make_user(role, mfa_secret=secret, mfa_enabled=True)
        return user, api_token(client, user.username, totp=pyotp.TOTP(secret).now())
    user = make_user(role)
    return user, api_token(client, user.username)


def test_raise_acknowledge_resolve_records_every_step(client, make_user, rooms, db):
    host, host_h = _headers(client, make_user, Role.HOST)
    response = client.post("/api/v1/alarms", json={"room_id": rooms[4], "note": "from reception"}, headers=host_h)
    assert response.status_code == 201, response.text
    alarm = response.json()
    assert alarm["state"] == "raised" and alarm["title"] == "Room 4"

    again = client.post("/api/v1/alarms", json={"room_id": rooms[4]}, headers=host_h)
    assert again.json()["id"] == alarm["id"], "a second press in the room adds to the open alarm"

    ack = client.post(f"/api/v1/alarms/{alarm['id']}/acknowledge", json={"note": "going"}, headers=host_h)
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    resolved = client.post(f"/api/v1/alarms/{alarm['id']}/resolve", json={"resolution": "handled"}, headers=host_h)
    assert resolved.json()["state"] == "resolved" and resolved.json()["resolution"] == "handled"
    kinds = [e.kind for e in db.scalars(select(AlarmEvent).where(AlarmEvent.alarm_id == alarm["id"])
                                        .order_by(AlarmEvent.id))]
    assert kinds == ["raised", "press", "acknowledged", "resolved"]
    users = set(db.scalars(select(AlarmEvent.user_id).where(AlarmEvent.alarm_id == alarm["id"])))
    assert users == {host.id}
    db.rollback()  # end the read: on SQLite every transaction holds the write lock

    # Resolved: the next press opens a new alarm.
    third = client.post("/api/v1/alarms", json={"room_id": rooms[4]}, headers=host_h)
    assert third.json()["id"] != alarm["id"]
    assert client.post(f"/api/v1/alarms/{alarm['id']}/resolve", json={"resolution": "handled"},
                       headers=host_h).status_code == 409


def test_worker_sees_only_own_alarms_and_cannot_acknowledge(client, make_user, rooms):
    _worker, worker_h = _headers(client, make_user, Role.WORKER)
    _other, other_h = _headers(client, make_user, Role.WORKER)
    _security, security_h = _headers(client, make_user, Role.SECURITY)
    mine = client.post("/api/v1/alarms", json={}, headers=worker_h)
    assert mine.status_code == 201 and mine.json()["source"] == "phone"
    theirs = client.post("/api/v1/alarms", json={"room_id": rooms[2]}, headers=other_h).json()
    listed = client.get("/api/v1/alarms", headers=worker_h).json()
    assert [a["id"] for a in listed] == [mine.json()["id"]]
    assert client.get(f"/api/v1/alarms/{theirs['id']}", headers=worker_h).status_code == 404
    assert client.post(f"/api/v1/alarms/{mine.json()['id']}/acknowledge", headers=worker_h).status_code == 403
    everything = client.get("/api/v1/alarms?state=raised", headers=security_h).json()
    assert {a["id"] for a in everything} == {mine.json()["id"], theirs["id"]}
    assert client.get("/api/v1/alarms?state=bogus", headers=security_h).status_code == 422
    # An unknown room never refuses the alarm: it is raised without a room.
    unknown = client.post("/api/v1/alarms", json={"room_id": 999999}, headers=security_h)
    assert unknown.status_code == 201 and unknown.json()["room_id"] is None
    assert client.post(f"/api/v1/alarms/{theirs['id']}/resolve", json={"resolution": "nope"},
                       headers=security_h).status_code == 422


def test_devices_register_and_unassigned(client, make_user, rooms, app):
    from location_ops.alarms import service
    from location_ops.alarms.decoders import DeviceMessage
    from location_ops.clock import utcnow

    _operator, operator_h = _headers(client, make_user, Role.OPERATOR)
    _host, host_h = _headers(client, make_user, Role.HOST)
    with app.state.sessionmaker() as db_session:
        result = service.ingest(db_session=db_session, message=DeviceMessage("native", "mystery", "press"),
                                now=utcnow())
        db_session.commit()
        assert result.created and "mystery" in service.alarm_title(result.alarm)
    devices = client.get("/api/v1/devices", headers=host_h).json()
    assert [(d["device_id"], d["registered"]) for d in devices] == [("mystery", False)]
    assert client.post("/api/v1/devices", json={"family": "native", "device_id": "x", "room_id": rooms[1]},
                       headers=host_h).status_code == 403
    response = client.post("/api/v1/devices", json={"family": "native", "device_id": "mystery",
                                                    "room_id": rooms[3], "label": "bed"}, headers=operator_h)
    assert response.status_code == 201, response.text
    assert response.json()["registered"] and response.json()["room"] == "Room 3"
    assert client.post("/api/v1/devices", json={"family": "carrier-pigeon", "device_id": "x"},
                       headers=operator_h).status_code == 422
    test_mode = client.post(f"/api/v1/devices/{response.json()['id']}/test-mode", json={"minutes": 10},
                            headers=host_h)
    assert test_mode.status_code == 200 and test_mode.json()["test_until"]
