"""Every role logs in through the real login page, on the tablet and on a phone."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from location_ops.accounts.models import Role, User
from location_ops.clock import clock
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, browser_login, screenshot


@pytest.mark.parametrize("role", list(Role))
def test_each_role_logs_in_on_tablet_and_phone(role, new_page, make_user, app, backend):
    user = make_user(role, f"e2e-{role}")
    secret = None
    if role == Role.OPERATOR:
        secret = pyotp.random_base32()
        with app.state.sessionmaker() as db_session:
            stored = db_session.get(User, user.id)
            stored.mfa_secret, stored.mfa_enabled = secret, True
            db_session.commit()
    for size_name, viewport in (("tablet", TABLET), ("phone", PHONE)):
        page = new_page(viewport)
        page.goto("/account")
        assert "/login" in page.url  # sent to log in, the wanted page remembered
        if backend == "sqlite":
            screenshot(page, f"login-{size_name}")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        if secret:
            page.wait_for_url("**/login/mfa**")
            # A code works once: the second login moves the app's clock to the next step.
            clock.advance(dt.timedelta(seconds=30))
            page.fill("input[name=code]", pyotp.TOTP(secret).at(clock.now()))
            page.click("form[action='/login/mfa'] button[type=submit]")
        page.wait_for_url("**/account")
        assert page.locator("h1").first.inner_text() in ("Mijn account", "My account")
        if role == Role.WORKER:
            # Neutral title and a quick exit on worker pages (DESIGN §2).
            assert page.title() in ("Planner",)
            assert page.locator("#quick-exit").is_visible()
        else:
            assert page.locator("#quick-exit").count() == 0
        # Controls are touch-sized.
        box = page.locator("form[action='/logout'] button").bounding_box()
        assert box["height"] >= 44
        page.goto("/")
        if backend == "sqlite":
            screenshot(page, f"start-{role}-{size_name}")
        page.context.clear_cookies()


def test_login_with_wrong_password_shows_a_sentence(new_page, make_user):
    make_user(Role.HOST, "e2e-wrong")
    page = new_page(PHONE)
    page.goto("/login")
    page.fill("input[name=username]", "e2e-wrong")
    page.fill("input[name=password]", "not the password")
    page.click("form[action='/login'] button[type=submit]")
    assert page.locator(".error").is_visible()
    assert "/login" in page.url


def test_quick_exit_leaves_the_page(new_page, make_user, live_server):
    make_user(Role.WORKER, "e2e-exit")
    page = new_page(PHONE)
    browser_login(page, "e2e-exit", PASSWORD)
    # The exit target is outside this machine's reach; intercept it to see where it goes.
    page.route("https://www.google.com/**", lambda route: route.fulfill(body="neutral", content_type="text/plain"))
    page.click("#quick-exit")
    page.wait_for_url("https://www.google.com/**")
    assert page.content().find("Planner") == -1


def test_after_the_quick_exit_going_back_does_not_show_a_worker_page(new_page, make_user, live_server):
    make_user(Role.WORKER, "e2e-exit-back")
    page = new_page(PHONE)
    browser_login(page, "e2e-exit-back", PASSWORD)
    page.route("https://www.google.com/**", lambda route: route.fulfill(body="neutral", content_type="text/plain"))
    worker_pages = []
    for path in ("/bookings", "/contract"):  # a few pages deep, as she would be
        page.goto(path)
        assert page.locator("#quick-exit").is_visible()
        worker_pages.append(page.url)
    page.click("#quick-exit")
    page.wait_for_url("https://www.google.com/**")
    seen = []
    for _step in range(3):
        page.go_back(wait_until="commit")
        page.wait_for_url("https://www.google.com/**")
        page.wait_for_load_state()
        seen.append(page.url)
        assert "neutral" in page.content() and page.locator("#quick-exit").count() == 0, seen
    assert not set(seen) & set(worker_pages)
    # Opening the app again on purpose (a typed address) works as before, and forgets the exit.
    page.goto("/contract")
    assert page.locator("#quick-exit").is_visible()
    page.goto("/bookings")
    page.go_back()
    page.wait_for_url("**/contract")
    assert page.locator("#quick-exit").is_visible()
