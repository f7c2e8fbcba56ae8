"""The staff alarm view in a browser: every open alarm listed, sound that cannot fail silently, refused
taps that keep the list; and the worker's hold-to-raise button."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from location_ops import i18n
from location_ops.alarms import service
from location_ops.alarms.models import Alarm
from location_ops.clock import utcnow
from location_ops.reception import service as reception_service
from location_ops.rooms.models import Room
from tests.alarms.conftest import publish
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, browser_login, screenshot

ALARM_ITEM = "#alarm-banner [data-alarm-id='{}']"


@pytest.fixture
def settings(settings, mosquitto):
    return settings.model_copy(update={"mqtt_url": mosquitto.url, "mqtt_client_id": f"lo-e2e-{uuid.uuid4().hex[:8]}",
                                       "site": f"e{uuid.uuid4().hex[:6]}"})


def raise_and_announce(app, **fields) -> int:
    """Raise an alarm as the bridge or a phone would, and tell the screens; return its id.

    The one place that publishes: adapt it if publishing moves into the transaction."""
    with app.state.sessionmaker() as db_session:
        alarm, _created = service.raise_alarm(db_session=db_session, now=utcnow(), **fields)
        message = service.alarm_message(alarm, "raised")
        db_session.commit()
        alarm_id = alarm.id
    service.publish_alarm(app.state.hub, message)
    return alarm_id


def make_rooms(app, *numbers: int) -> dict[int, int]:
    with app.state.sessionmaker() as db_session:
        rooms = [Room(number=n, name=f"Room {n}", active=True) for n in numbers]
        db_session.add_all(rooms)
        db_session.commit()
        return {room.number: room.id for room in rooms}


def start_shift(app, host) -> None:
    with app.state.sessionmaker() as db_session:
        reception_service.start_shift(db_session=db_session, host_id=host.id, now=utcnow())
        db_session.commit()


def open_staff_page(new_page, user, path: str, viewport: dict = TABLET):
    page = new_page(viewport)
    browser_login(page, user.username, PASSWORD)
    page.goto(path)
    page.wait_for_selector("#alarm-banner [data-bridge]", state="attached")
    return page


def arm_sound(page) -> None:
    page.click("#alarm-arm")
    page.wait_for_selector("body[data-alarm-sound=armed], body[data-alarm-sound=playing]", state="attached")
    assert page.is_hidden("#alarm-sound-warning")


def audio_playing(page) -> None:
    page.wait_for_selector("body[data-alarm-sound=playing]", state="attached")


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
    page = open_staff_page(new_page, host, "/alarms")
    page.wait_for_selector("#alarm-banner [data-bridge=connected]", state="attached")
    assert page.is_visible("#alarm-sound-warning"), "sound is not armed until the host taps"
    arm_sound(page)
    screenshot(page, f"alarm-board-armed-{backend}")

    publish(mosquitto.url, ("zigbee2mqtt/panic_room_3", '{"action":"single","battery":91,"linkquality":120}', False))
    page.wait_for_selector("#alarm-banner .alarm-raised")
    assert "Kamer 3" in page.inner_text("#alarm-banner .alarm-raised .alarm-title")
    assert "alarm-active" in page.get_attribute("body", "class")
    audio_playing(page)
    view = page.locator("#alarm-view").bounding_box()
    assert (view["x"], view["y"], view["width"], view["height"]) == (0, 0, TABLET["width"], TABLET["height"]), \
        "the unacknowledged alarm covers the screen"
    screenshot(page, f"alarm-board-raised-{backend}")

    page.click("#alarm-banner .alarm-ack")
    page.wait_for_selector("#alarm-banner .alarm-acknowledged")
    assert "alarm-active" not in (page.get_attribute("body", "class") or ""), "acknowledging silences this screen"
    page.wait_for_selector("body[data-alarm-sound=armed]", state="attached")
    assert page.locator("#alarm-view").bounding_box()["height"] < TABLET["height"] / 2, \
        "acknowledged alarms are a compact list, not a cover"
    screenshot(page, f"alarm-board-acknowledged-{backend}")

    page.select_option("#alarm-banner select[name=resolution]", "handled")
    page.click("#alarm-banner .alarm-resolve-button")
    page.wait_for_selector("#alarm-banner [data-alarm-id]", state="detached")
    with app.state.sessionmaker() as db_session:
        alarm = db_session.scalars(select(Alarm)).unique().one()
        assert (alarm.state, alarm.resolution, alarm.acknowledged_by_id) == ("resolved", "handled", host.id)


def test_two_rooms_in_alarm_are_both_listed_and_acknowledging_one_keeps_the_other(app, live_server, new_page,
                                                                                   make_user, backend):
    rooms = make_rooms(app, 6, 7)
    host = make_user("host")
    page = open_staff_page(new_page, host, "/alarms")
    arm_sound(page)
    first = raise_and_announce(app, source="device", room_id=rooms[6])
    page.wait_for_selector(ALARM_ITEM.format(first))
    audio_playing(page)
    second = raise_and_announce(app, source="device", room_id=rooms[7])

    # The second alarm is announced again: a "new" marker, and the sound starts over.
    page.wait_for_selector(ALARM_ITEM.format(second) + ".alarm-new .alarm-new-mark", state="visible")
    assert page.get_attribute("body", "data-alarm-announced") == "2", "each arrival is announced"
    assert page.is_hidden(ALARM_ITEM.format(first) + " .alarm-new-mark"), "only the new one is marked"
    assert page.get_attribute("#alarm-banner .alarm-list", "data-open") == "2"
    assert page.inner_text("#alarm-banner .alarm-count").startswith("2 ")  # "2 open alarmen"
    titles = page.locator("#alarm-banner .alarm-where").all_inner_texts()
    assert titles == ["Kamer 7", "Kamer 6"], "newest raised on top"
    for alarm_id in (first, second):
        assert page.is_visible(ALARM_ITEM.format(alarm_id) + " .alarm-ack")
    audio_playing(page)
    screenshot(page, f"alarm-two-rooms-{backend}")

    page.click(ALARM_ITEM.format(first) + " .alarm-ack")
    page.wait_for_selector(ALARM_ITEM.format(first) + ".alarm-acknowledged")
    assert page.is_visible(ALARM_ITEM.format(second) + ".alarm-raised"), "the other alarm is still shown"
    assert page.is_visible(ALARM_ITEM.format(first)), "the acknowledged one stays listed until resolved"
    calm = page.eval_on_selector(ALARM_ITEM.format(first), "e => getComputedStyle(e).backgroundColor")
    red = page.eval_on_selector(ALARM_ITEM.format(second), "e => getComputedStyle(e).backgroundColor")
    assert calm != red and calm == "rgb(84, 110, 122)", "the acknowledged alarm turns calm"
    assert page.locator("#alarm-view").bounding_box()["height"] == TABLET["height"], "still unacknowledged: cover"
    audio_playing(page)  # room 7 still sounds
    screenshot(page, f"alarm-two-rooms-one-acknowledged-{backend}")


def test_a_reload_during_an_alarm_shows_a_tappable_sound_notice_inside_the_alarm(app, live_server, new_page,
                                                                                 make_user, backend):
    rooms = make_rooms(app, 4)
    host = make_user("host")
    page = open_staff_page(new_page, host, "/alarms")
    arm_sound(page)
    alarm_id = raise_and_announce(app, source="device", room_id=rooms[4])
    page.wait_for_selector(ALARM_ITEM.format(alarm_id))
    audio_playing(page)

    page.reload()
    page.wait_for_selector(ALARM_ITEM.format(alarm_id))
    # The browser (autoplay needs a tap) cannot play after a reload: the alarm view says so.
    page.wait_for_selector("body[data-alarm-sound=off]", state="attached")
    page.wait_for_selector("#alarm-sound-warning [data-when=lost]", state="visible")
    assert page.evaluate("document.getElementById('alarm-view').contains(document.getElementById('alarm-arm'))")
    arm = page.locator("#alarm-arm").bounding_box()
    assert arm["height"] >= 44 and arm["width"] >= 44
    assert page.locator("#alarm-sound-warning").bounding_box()["y"] < TABLET["height"] / 2, "near the top"
    screenshot(page, f"alarm-reload-sound-off-{backend}")
    page.click("#alarm-arm")  # Playwright refuses to click a covered element
    audio_playing(page)
    assert page.is_hidden("#alarm-sound-warning")


def test_board_to_log_and_back_keeps_the_sound_armed(app, live_server, new_page, make_user, backend):
    rooms = make_rooms(app, 5)
    host = make_user("host")
    start_shift(app, host)
    page = open_staff_page(new_page, host, "/reception")
    page.wait_for_selector("#board")
    arm_sound(page)
    page.evaluate("window.sameDocument = true")

    # Every entry is behind "More" (some are in the bar as well).
    page.click("header.topbar .menu-more > summary")
    page.click("header.topbar .menu-panel a[href='/reception/log']")
    page.wait_for_url("**/reception/log")
    page.wait_for_selector("body[data-soft-navigations='1']", state="attached")
    assert page.title().startswith("Logboek receptie") or "log" in page.title().lower()
    page.wait_for_selector("#main .rx-log-head")
    screenshot(page, f"alarm-log-soft-navigation-{backend}")
    page.click("header.topbar .menu-more > summary")
    page.click("header.topbar .menu-panel a[href='/reception']")
    page.wait_for_url(lambda url: url.endswith("/reception"))
    page.wait_for_selector("body[data-soft-navigations='2']", state="attached")
    page.wait_for_selector("#board")
    assert page.evaluate("window.sameDocument") is True, "no page load between board, log and board"
    assert page.get_attribute("body", "data-alarm-sound") == "armed"
    assert page.is_hidden("#alarm-sound-warning")

    screenshot(page, f"alarm-board-back-from-log-{backend}")

    # The board is still live after coming back (reception.js redraws it on the alarm event), and
    # the alarm sounds without a new tap.
    page.evaluate("document.getElementById('board').setAttribute('data-before-alarm', '1')")
    alarm_id = raise_and_announce(app, source="device", room_id=rooms[5])
    page.wait_for_selector(ALARM_ITEM.format(alarm_id))
    page.wait_for_selector("#board:not([data-before-alarm])", state="attached")
    audio_playing(page)
    screenshot(page, f"alarm-board-after-log-{backend}")
    page.go_back()
    page.wait_for_url("**/reception/log")
    page.wait_for_selector("#main .rx-log-head")
    assert page.evaluate("window.sameDocument") is True
    audio_playing(page)


def test_an_acknowledge_refused_with_409_keeps_every_other_alarm_and_the_sound(app, live_server, new_page,
                                                                               make_user, backend):
    rooms = make_rooms(app, 1, 2, 8)
    host = make_user("host")
    page = open_staff_page(new_page, host, "/alarms")
    arm_sound(page)
    ids = [raise_and_announce(app, source="device", room_id=rooms[n]) for n in (1, 2, 8)]
    for alarm_id in ids:
        page.wait_for_selector(ALARM_ITEM.format(alarm_id))
    audio_playing(page)
    gone = ids[1]
    with app.state.sessionmaker() as db_session:  # a colleague resolves it; this screen is not told
        alarm = db_session.get(Alarm, gone)
        service.resolve(db_session=db_session, alarm=alarm, user_id=None, now=utcnow(), resolution="handled")
        db_session.commit()

    page.click(ALARM_ITEM.format(gone) + " .alarm-ack")
    page.wait_for_selector("#alarm-notice", state="visible")
    already = i18n.translations("nl").gettext("This alarm is already resolved.")
    assert page.inner_text("#alarm-notice") == already, "the server's sentence is shown"
    page.wait_for_selector(ALARM_ITEM.format(gone), state="detached")  # the list was fetched again
    for alarm_id in (ids[0], ids[2]):
        assert page.is_visible(ALARM_ITEM.format(alarm_id) + ".alarm-raised")
    assert page.get_attribute("#alarm-banner .alarm-list", "data-open") == "2"
    audio_playing(page)
    assert page.get_attribute("body", "data-alarm-sound") == "playing"
    screenshot(page, f"alarm-409-{backend}")


def test_a_tap_that_reaches_no_server_keeps_the_list_and_says_so(app, live_server, new_page, make_user, backend):
    rooms = make_rooms(app, 1, 2)
    host = make_user("host")
    page = open_staff_page(new_page, host, "/alarms")
    arm_sound(page)
    ids = [raise_and_announce(app, source="device", room_id=rooms[n]) for n in (1, 2)]
    for alarm_id in ids:
        page.wait_for_selector(ALARM_ITEM.format(alarm_id))
    audio_playing(page)
    page.route("**/alarms/*/acknowledge", lambda route: route.abort())
    page.route("**/alarms/banner", lambda route: route.fulfill(status=502, body="Bad gateway"))
    page.click(ALARM_ITEM.format(ids[0]) + " .alarm-ack")
    page.wait_for_selector("#alarm-notice", state="visible")
    assert "server" in page.inner_text("#alarm-notice")
    for alarm_id in ids:
        assert page.is_visible(ALARM_ITEM.format(alarm_id) + ".alarm-raised")
    audio_playing(page)
    page.unroute("**/alarms/*/acknowledge")
    page.unroute("**/alarms/banner")
    page.click(ALARM_ITEM.format(ids[0]) + " .alarm-ack")  # the retry button is enabled again
    page.wait_for_selector(ALARM_ITEM.format(ids[0]) + ".alarm-acknowledged")


def test_screen_wake_lock_is_asked_for_again_and_a_refusal_is_shown(app, live_server, new_page, make_user,
                                                                      backend):
    host = make_user("host")
    page = new_page(TABLET)
    page.add_init_script("""
        window.wakeLockRequests = 0;
        Object.defineProperty(navigator, "wakeLock", { configurable: true, value: { request: function (kind) {
            window.wakeLockRequests += 1;
            if (window.refuseWakeLock) return Promise.reject(new DOMException("no", "NotAllowedError"));
            window.wakeSentinel = new EventTarget();
            window.wakeSentinel.released = false;
            return Promise.resolve(window.wakeSentinel);
        } } });
    """)
    browser_login(page, host.username, PASSWORD)
    page.goto("/alarms")
    page.wait_for_selector("body[data-wake-lock=on]", state="attached")
    assert page.is_hidden("#alarm-wake")
    assert page.evaluate("window.wakeLockRequests") == 1

    # The system releases the lock (the tab was hidden); shown again, the page asks again.
    page.evaluate("""() => { window.wakeSentinel.released = true; window.wakeSentinel.dispatchEvent(new Event("release"));
                            window.refuseWakeLock = true; document.dispatchEvent(new Event("visibilitychange")); }""")
    page.wait_for_selector("#alarm-wake [data-when=refused]", state="visible")
    assert page.evaluate("window.wakeLockRequests") == 2
    assert page.get_attribute("body", "data-wake-lock") == "refused"


def test_screen_wake_lock_unsupported_shows_a_notice(app, live_server, new_page, make_user, backend):
    host = make_user("host")
    page = new_page(TABLET)
    page.add_init_script("Object.defineProperty(navigator, 'wakeLock', { configurable: true, value: undefined });")
    browser_login(page, host.username, PASSWORD)
    page.goto("/alarms")
    page.wait_for_selector("#alarm-wake [data-when=unsupported]", state="visible")
    assert page.get_attribute("body", "data-wake-lock") == "unsupported"


def test_worker_raises_an_alarm_only_by_holding_the_button(app, live_server, new_page, make_user, backend):
    worker = make_user("worker")
    page = new_page(PHONE)
    page.add_init_script("""
        window.raiseSubmits = 0;
        const submit = HTMLFormElement.prototype.submit;
        HTMLFormElement.prototype.submit = function () { window.raiseSubmits += 1; return submit.call(this); };
    """)
    browser_login(page, worker.username, PASSWORD)
    page.goto("/alarms/raise")
    assert page.title() == "Planner", "worker pages keep the neutral title"
    box = page.locator("#alarm-hold").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 48
    assert int(page.get_attribute("#alarm-hold", "data-hold-ms")) >= 1000
    for tap in (lambda: page.click("#alarm-hold"), lambda: page.press("#alarm-hold", "Enter")):
        tap()  # a tap (or a pocket) does not raise
        page.wait_for_selector("#alarm-hold[data-hold=cancelled]", state="attached")
        page.wait_for_selector("#alarm-hold-short", state="visible")
        # idle comes twice the hold time after the tap: a raise the tap had started would have fired.
        page.wait_for_selector("#alarm-hold[data-hold=idle]", state="attached")
        assert page.evaluate("window.raiseSubmits") == 0
        assert "sent=" not in page.url
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


def test_security_phone_lists_two_alarms_without_the_workers_pseudonym(app, live_server, new_page, make_user,
                                                                       backend):
    rooms = make_rooms(app, 4, 9)
    security, worker = make_user("security"), make_user("worker")
    page = open_staff_page(new_page, security, "/alarms", PHONE)
    phone = raise_and_announce(app, source="phone", room_id=rooms[4], user_id=worker.id)
    button = raise_and_announce(app, source="device", room_id=rooms[9])
    page.wait_for_selector(ALARM_ITEM.format(phone))
    page.wait_for_selector(ALARM_ITEM.format(button))
    assert page.get_attribute("#alarm-banner .alarm-list", "data-open") == "2"
    view_html = page.inner_html("#alarm-view")
    assert worker.username not in view_html, "security never sees her name in the alarm view"
    assert "Kamer 4" in page.inner_text(ALARM_ITEM.format(phone)) and "telefoon" in page.inner_text(
        ALARM_ITEM.format(phone)), "security sees the room and that it came from a phone"
    assert page.is_visible("#alarm-arm"), "sound off: the notice is inside the alarm view"
    screenshot(page, f"alarm-security-phone-top-{backend}")
    for selector in ("#alarm-arm", ALARM_ITEM.format(phone) + " .alarm-ack", ALARM_ITEM.format(button) + " .alarm-ack",
                     ALARM_ITEM.format(phone) + " .alarm-resolve-button"):
        page.locator(selector).scroll_into_view_if_needed()
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
    assert page.evaluate("document.getElementById('alarm-view').scrollWidth") <= PHONE["width"], "nothing off-screen"
    screenshot(page, f"alarm-security-phone-{backend}")
    page.click("#alarm-arm")
    audio_playing(page)


def test_host_sees_whose_phone_raised_it(app, live_server, new_page, make_user, backend):
    rooms = make_rooms(app, 4)
    host, worker = make_user("host"), make_user("worker")
    page = open_staff_page(new_page, host, "/alarms")
    alarm_id = raise_and_announce(app, source="phone", room_id=rooms[4], user_id=worker.id)
    page.wait_for_selector(ALARM_ITEM.format(alarm_id))
    assert worker.username in page.inner_text(ALARM_ITEM.format(alarm_id) + " .alarm-phone")
