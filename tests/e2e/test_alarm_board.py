"""A press over MQTT turns the host's screen red without a reload; acknowledge, then resolve."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from location_ops.alarms import service
from location_ops.alarms.models import Alarm
from location_ops.clock import utcnow
from location_ops.rooms.models import Room
from tests.alarms.conftest import publish
from tests.conftest import PASSWORD
from tests.e2e.conftest import TABLET, browser_login, screenshot


@pytest.fixture
def settings(settings, mosquitto):
    return settings.model_copy(update={"mqtt_url": mosquitto.url, "mqtt_client_id": f"lo-e2e-{uuid.uuid4().hex[:8]}",
                                       "site": f"e{uuid.uuid4().hex[:6]}"})


def test_press_turns_host_screen_red_then_acknowledge_and_resolve(app, live_server, new_page, make_user, mosquitto,
                                                                  backend):
    with app.state.sessionmaker() as db_session:
        room = Room(number=3, name="Room 3", active=True)
        db_session.add(room)
        db_session.flush()
        service.register_device(db_session=db_session, family="zigbee2mqtt", device_id="panic_room_3",
                                room_id=room.id, label="bed", now=utcnow())
        db_session.commit()
    host = make_user("host")
    page = new_page(TABLET)
    browser_login(page, host.username, PASSWORD)
    page.goto("/alarms")
    page.wait_for_selector("#alarm-banner [data-bridge=connected]", state="attached")
    assert page.is_visible("#alarm-sound-warning"), "sound is not armed until the host taps"
    page.click("#alarm-arm")
    page.wait_for_selector("#alarm-sound-warning", state="hidden")
    screenshot(page, f"alarm-board-armed-{backend}")

    publish(mosquitto.url, ("zigbee2mqtt/panic_room_3", '{"action":"single","battery":91,"linkquality":120}', False))
    page.wait_for_selector("#alarm-banner .alarm-raised")
    assert "Room 3" in page.inner_text("#alarm-banner .alarm-raised .alarm-title")
    assert "alarm-active" in page.get_attribute("body", "class")
    color = page.eval_on_selector("#alarm-banner .alarm-raised", "e => getComputedStyle(e).position")
    assert color == "fixed", "the unacknowledged alarm covers the screen"
    screenshot(page, f"alarm-board-raised-{backend}")

    page.click("#alarm-banner .alarm-ack")
    page.wait_for_selector("#alarm-banner .alarm-acknowledged")
    assert "alarm-active" not in (page.get_attribute("body", "class") or ""), "acknowledging silences this screen"
    screenshot(page, f"alarm-board-acknowledged-{backend}")

    page.select_option("#alarm-banner select[name=resolution]", "handled")
    page.click("#alarm-banner .alarm-resolve-button")
    page.wait_for_selector("#alarm-banner [data-alarm-id]", state="detached")
    with app.state.sessionmaker() as db_session:
        alarm = db_session.scalars(select(Alarm)).unique().one()
        assert (alarm.state, alarm.resolution, alarm.acknowledged_by_id) == ("resolved", "handled", host.id)


def test_worker_raises_an_alarm_only_by_holding_the_button(app, live_server, new_page, make_user, backend):
    from tests.e2e.conftest import PHONE

    worker = make_user("worker")
    page = new_page(PHONE)
    browser_login(page, worker.username, PASSWORD)
    page.goto("/alarms/raise")
    assert page.title() == "Planner", "worker pages keep the neutral title"
    box = page.locator("#alarm-hold").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 48
    page.click("#alarm-hold")  # a tap (or a pocket) does not raise
    page.keyboard.press("Enter")
    with app.state.sessionmaker() as db_session:
        assert db_session.scalars(select(Alarm)).first() is None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_url("**/alarms/raise?sent=*")
    page.mouse.up()
    screenshot(page, f"alarm-raise-phone-{backend}")
    with app.state.sessionmaker() as db_session:
        alarm = db_session.scalars(select(Alarm)).unique().one()
        assert (alarm.source, alarm.raised_by_id, alarm.state) == ("phone", worker.id, "raised")
        # Staff acknowledge: the worker's phone shows it live, without a reload.
        page.wait_for_selector("#alarm-mine .alarm-mine-raised")
        page.evaluate("window.notReloaded = true")
        service.acknowledge(db_session=db_session, alarm=alarm, user_id=None, now=utcnow())
        message = service.alarm_message(alarm, "acknowledged")
        db_session.commit()
    service.publish_alarm(app.state.hub, message)
    page.wait_for_selector("#alarm-mine .alarm-mine-acknowledged")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, f"alarm-raise-acknowledged-phone-{backend}")


def test_security_phone_shows_a_workers_alarm_live(app, live_server, new_page, make_user, backend):
    from tests.e2e.conftest import PHONE

    security, worker = make_user("security"), make_user("worker")
    page = new_page(PHONE)
    browser_login(page, security.username, PASSWORD)
    page.goto("/alarms")
    page.wait_for_selector("#alarm-banner [data-bridge]", state="attached")
    with app.state.sessionmaker() as db_session:
        alarm, _created = service.raise_alarm(db_session=db_session, now=utcnow(), source="phone", user_id=worker.id)
        message = service.alarm_message(alarm, "raised")
        db_session.commit()
    service.publish_alarm(app.state.hub, message)
    page.wait_for_selector("#alarm-banner .alarm-raised")
    assert worker.username in page.inner_text("#alarm-banner .alarm-raised")
    box = page.locator("#alarm-banner .alarm-ack").bounding_box()
    assert box["height"] >= 48 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, f"alarm-security-phone-{backend}")
