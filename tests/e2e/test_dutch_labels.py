"""In Dutch, as people meet it: rooms, shifts, alarm history, prices and the handover heading."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from location_ops.accounts.models import User
from tests.e2e.conftest import PHONE, TABLET, browser_login, screenshot
from tests.test_pseudo_locale import seed_everything


def _log_in(app, page, logins, username: str) -> None:
    with app.state.sessionmaker() as db_session:
        two_step = db_session.scalar(select(User.mfa_enabled).where(User.username == username))
    if not two_step:
        browser_login(page, username, logins[username].strip())
        return
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", logins[username].strip())
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/login/mfa**")
    with app.state.sessionmaker() as db_session:
        secret = db_session.scalar(select(User.mfa_secret).where(User.username == username))
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("form[action='/login/mfa'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_staff_pages_speak_dutch_with_values(app, live_server, new_page, backend):
    logins = seed_everything(app)
    host = new_page(TABLET)
    _log_in(app, host, logins, "host")
    host.goto("/alarms")
    host.wait_for_selector("#alarm-banner .alarm-raised .alarm-title")
    banner = host.inner_text("#alarm-banner")
    assert "ALARM:" in banner and "Kamer 6" in banner and "Room" not in banner
    history = host.inner_text("table.table")
    assert "Opgeschaald na" in history and "Afgesloten: Loos alarm" in history and "Opnieuw ingedrukt" in history
    for code in ("raised", "escalated", "false_alarm", "after 30 s"):
        assert code not in history, code
    assert host.title() == "Alarmen · location-ops"
    if backend == "sqlite":
        screenshot(host, "dutch-alarm-history-tablet")
    host.goto("/reception/shift")
    heading = host.inner_text("#handover h3:has-text('Notities en incidenten sinds')")
    assert any(ch.isdigit() for ch in heading), heading
    host.goto("/devices")
    assert "Kamer 1" in host.inner_text("table.devices") and "Room" not in host.inner_text("table.devices")
    if backend == "sqlite":
        screenshot(host, "dutch-devices-tablet")

    operator = new_page(TABLET)
    _log_in(app, operator, logins, "operator")
    operator.goto("/admin/rooms")
    assert operator.input_value("input[name=price] >> nth=0") == "80,00"
    shifts = operator.inner_text("main")
    assert "Dag" in shifts and "Avond" in shifts and "Kamer 1" in shifts
    if backend == "sqlite":
        screenshot(operator, "dutch-rooms-admin-tablet")


def test_the_alarm_button_page_names_rooms_in_dutch_on_a_phone(app, live_server, new_page, backend):
    logins = seed_everything(app)
    security = new_page(PHONE)
    _log_in(app, security, logins, "security")
    security.goto("/alarms/raise")
    options = security.locator("select[name=room_id] option").all_inner_texts()
    assert options[:3] == ["Weet ik niet", "Kamer 1", "Kamer 2"], options
    assert security.title() == "Alarmknop · location-ops"
    if backend == "sqlite":
        screenshot(security, "dutch-alarm-button-phone")
