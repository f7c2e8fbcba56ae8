"""Forms that keep what was typed, in the browser: a mistake is shown at its field, in the same page or sheet.

On the reception tablet (1280x800) the host gives a room to a worker picked from those with an
active contract; a refusal comes back in the sheet at the worker's field, the choice kept and
the board still behind it; an empty log entry is refused at its text field with the room and
kind kept. On a phone (390x844) a worker's talk request without a topic keeps her note and says
so at the topics.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from location_ops.accounts.models import Role, User
from location_ops.bookings.models import Booking
from location_ops.clock import LOCAL_TZ, local_today
from location_ops.contracts import service as contracts_service
from location_ops.contracts.models import ContractStatus
from location_ops.reception.models import LogEntry
from location_ops.rooms import service as rooms_service
from location_ops.rooms.models import Room
from location_ops.rota import service as rota_service
from location_ops.rota.models import TalkRequest
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, browser_login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings, mosquitto):
    return settings.model_copy(update={"mqtt_url": mosquitto.url, "mqtt_client_id": f"lo-e2e-{uuid.uuid4().hex[:8]}",
                                       "site": f"e{uuid.uuid4().hex[:6]}"})


def _count(app, model) -> int:
    with app.state.sessionmaker() as db_session:
        return db_session.scalar(select(func.count()).select_from(model))


def _described_error(page, control) -> str:
    """The text of the element the control's aria-describedby names (the field's error)."""
    assert control.get_attribute("aria-invalid") == "true"
    target = control.get_attribute("aria-describedby")
    assert target, "the field names no error"
    return page.locator(f"#{target}").inner_text()


def test_host_gives_a_room_and_writes_the_log_with_mistakes_shown_at_the_fields(app, live_server, new_page,
                                                                                make_user, backend):
    zoe, fay = make_user(Role.WORKER, "Zoe"), make_user(Role.WORKER, "Fay")
    make_user(Role.WORKER, "Nocontract")
    with app.state.sessionmaker() as db_session:
        db_session.add_all([Room(number=n, name=f"Room {n}", active=True) for n in range(1, 6)])
        # A shift that runs now, whatever the time of day the test runs at.
        hour = dt.datetime.now(LOCAL_TZ).hour
        rooms_service.create_shift(db_session=db_session, name="now", starts=dt.time((hour - 1) % 24),
                                   ends=dt.time((hour + 3) % 24), price_cents=8000)
        for worker in (zoe, fay):
            contracts_service.create_contract(db_session=db_session, worker=db_session.get(User, worker.id),
                                              starts_on=local_today() - dt.timedelta(days=30),
                                              status=ContractStatus.ACTIVE)
        rules = contracts_service.publish_house_rules(db_session=db_session, text="Be kind to each other.")
        contracts_service.accept_house_rules(db_session=db_session, worker_id=fay.id, version=rules.version)
        db_session.commit()
    host = make_user(Role.HOST, "gastvrouw")
    page = new_page(TABLET, locale="en-GB")
    browser_login(page, host.username, PASSWORD)
    page.goto("/reception")
    page.wait_for_url("**/reception/shift")
    page.click("#start-shift button")
    page.wait_for_url("**/reception")

    # Give room 2: the sheet offers the workers with an active contract, not a name to type.
    page.click("#room-2 [data-action=give]")
    select = page.locator("#sheet select[name=worker_id]")
    select.wait_for()
    offered = select.locator("option").all_inner_texts()
    assert offered[1:] == ["Fay", "Zoe"] and "Nocontract" not in offered
    # Zoe has not accepted the new house rules: the refusal is at the worker, in the sheet, Zoe still chosen.
    select.select_option(label="Zoe")
    page.click("#sheet button.rx-confirm")
    page.wait_for_selector("#sheet select[aria-invalid=true]")
    select = page.locator("#sheet select[name=worker_id]")
    assert "house rules" in _described_error(page, select)
    assert select.evaluate("element => element.selectedOptions[0].textContent") == "Zoe"
    assert page.evaluate("document.activeElement.name") == "worker_id"  # focus went to the field
    assert page.locator("#board").is_visible() and page.locator("#sheet").inner_text().count("accept the house rules") == 1
    assert page.locator("text=Close").count() == 0
    screenshot(page, "forms-tablet-1-give-refused")
    # Fay can: the sheet closes and the board shows her in room 2.
    select.select_option(label="Fay")
    page.click("#sheet button.rx-confirm")
    page.wait_for_selector("#room-2[data-state=occupied]")
    assert "Fay" in page.inner_text("#room-2")
    assert _count(app, Booking) == 1

    # An empty incident in the log: the sentence at the text field, the room and kind kept.
    entries = _count(app, LogEntry)
    page.goto("/reception/log")
    note = page.locator("#note-form")
    note.locator("select[name=kind]").select_option("incident")
    note.locator("select[name=room]").select_option(label="3")
    note.locator("button").click()
    page.wait_for_selector("#note-form input[name=text][aria-invalid=true]")
    note = page.locator("#note-form")
    text = note.locator("input[name=text]")
    assert _described_error(page, text) == "Write what happened."
    assert note.locator("select[name=kind]").input_value() == "incident"
    assert note.locator("select[name=room]").evaluate("element => element.selectedOptions[0].textContent") == "3"
    assert "/reception/log" in page.url and page.locator("h1").first.inner_text().startswith("Reception log")
    assert page.evaluate("document.activeElement.name") == "text"
    screenshot(page, "forms-tablet-2-log-refused")
    text.fill("Towels ran out in room 3")
    note.locator("button").click()
    page.wait_for_url("**/reception/log?added=*")
    assert _count(app, LogEntry) == entries + 1
    assert "Towels ran out in room 3" in page.inner_text(".rx-log")


def test_worker_on_a_phone_keeps_her_note_when_she_forgot_the_topic(app, live_server, new_page, make_user,
                                                                     backend):
    caseworker = make_user(Role.CASEWORKER, "sanne-cw")
    make_user(Role.WORKER, "roos")
    with app.state.sessionmaker() as db_session:
        user = db_session.get(User, caseworker.id)
        rota_service.update_profile(db_session=db_session, user=user, display_name="Sanne",
                                    introduction="Ask me about money.", languages=["nl"], organisation="Belle")
        tomorrow = local_today() + dt.timedelta(days=1)
        rota_service.create_visit(db_session=db_session, actor=user, caseworker_id=user.id,
                                  weekday=tomorrow.weekday(), starts_at=dt.time(14), ends_at=dt.time(16),
                                  valid_from=local_today())
        db_session.commit()
    page = new_page(PHONE, locale="en-GB")
    browser_login(page, "roos", PASSWORD)
    page.goto("/rota")
    page.locator(".rota-visit a.button").first.click()
    page.wait_for_selector("#talk-form")
    page.fill("#talk-form textarea[name=note]", "About my tax return")
    page.click("#talk-form button[type=submit]")
    page.wait_for_selector("#talk-form fieldset[aria-invalid=true]")
    topics = page.locator("#talk-form fieldset")
    assert _described_error(page, topics) == "Choose at least one topic."
    assert page.input_value("#talk-form textarea[name=note]") == "About my tax return"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "forms-phone-1-talk-refused")
    assert _count(app, TalkRequest) == 0
    page.locator("#talk-form input[name=topics]").first.check()
    page.click("#talk-form button[type=submit]")
    page.wait_for_url("**/rota?asked=1")
    assert _count(app, TalkRequest) == 1
