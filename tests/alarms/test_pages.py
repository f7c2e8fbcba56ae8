"""Alarm and device pages: the banner, the board, test mode and the demo's simulate-press button."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from location_ops.alarms import service
from location_ops.alarms.models import Alarm, Device
from location_ops.clock import utcnow
from tests.alarms.conftest import alarm_count, wait_until
from tests.conftest import csrf_from


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"device_simulator": True})


def test_banner_shows_open_alarms_and_bridge_state(client, login_as, app, rooms):
    login_as("security")
    wait_until(lambda: app.state.bridge.connected, what="the bridge")
    banner = client.get("/alarms/banner")
    assert banner.status_code == 200 and 'data-bridge="connected"' in banner.text
    with app.state.sessionmaker() as db_session:
        service.raise_alarm(db_session=db_session, now=utcnow(), source="staff", room_id=rooms[7])
        db_session.commit()
    banner = client.get("/alarms/banner").text
    assert "Room 7" in banner and "data-sounding" in banner
    page = client.get("/alarms")
    assert page.status_code == 200 and 'id="alarm-banner"' in page.text
    with app.state.sessionmaker() as db_session:
        alarm_id = db_session.scalar(select(Alarm.id))
    token = csrf_from(page.text)
    assert client.post(f"/alarms/{alarm_id}/acknowledge", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert "data-sounding" not in client.get("/alarms/banner").text, "acknowledged: the sound stops"
    assert client.post(f"/alarms/{alarm_id}/resolve", data={"csrf_token": token, "resolution": "bogus"}
                       ).status_code == 422
    assert client.post(f"/alarms/{alarm_id}/resolve", data={"csrf_token": token, "resolution": "false_alarm"},
                       follow_redirects=False).status_code == 303
    assert 'data-alarm-id' not in client.get("/alarms/banner").text


def test_workers_get_no_banner_and_no_board(client, login_as):
    login_as("worker")
    assert 'id="alarm-banner"' not in client.get("/alarms/raise").text
    assert client.get("/alarms").status_code == 403
    assert client.get("/alarms/banner").status_code == 403


def test_host_puts_device_in_test_mode_and_simulates_a_press(client, login_as, app, rooms):
    with app.state.sessionmaker() as db_session:
        device = service.register_device(db_session=db_session, family="native", device_id="room-2",
                                         room_id=rooms[2], label="Button 2", now=utcnow())
        db_session.commit()
        device_pk = device.id
    login_as("host")
    wait_until(lambda: app.state.bridge.connected, what="the bridge")
    page = client.get("/devices")
    assert page.status_code == 200 and "Button 2" in page.text
    token = csrf_from(page.text)
    assert 'action="/devices"' not in page.text, "only the operator registers devices"
    response = client.post(f"/devices/{device_pk}/test-mode", data={"csrf_token": token, "minutes": "15"},
                           follow_redirects=False)
    assert response.status_code == 303
    response = client.post(f"/devices/{device_pk}/simulate", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    wait_until(lambda: alarm_count(app.state.sessionmaker) == 1, what="the simulated press")
    with app.state.sessionmaker() as db_session:
        alarm = db_session.scalars(select(Alarm)).unique().one()
        assert alarm.is_test and alarm.resolution == "test", "in test mode a press is recorded as a test"
        assert db_session.get(Device, device_pk).last_test_at is not None
