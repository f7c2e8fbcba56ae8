"""In a browser: the operator's data page (and its print) and audit viewer at 1280x800, a worker's notice on a phone."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from location_ops.accounts.models import Role, User
from location_ops.clock import clock
from location_ops.privacy import declarations
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, browser_login, screenshot

pytestmark = pytest.mark.browser


def _operator(app, make_user) -> tuple[User, str]:
    user = make_user(Role.OPERATOR, "op-data")
    secret = pyotp.random_base32()
    with app.state.sessionmaker() as db_session:
        stored = db_session.get(User, user.id)
        stored.mfa_secret, stored.mfa_enabled = secret, True
        db_session.commit()
    return user, secret


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules run on both backends elsewhere; one browser run
def test_operator_reads_and_prints_the_data_page_and_filters_the_audit(app, live_server, new_page, make_user):
    make_user(Role.WORKER, "roos")
    user, secret = _operator(app, make_user)
    page = new_page(TABLET, locale="en-GB")
    page.goto("/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/login/mfa**")
    clock.advance(dt.timedelta(seconds=30))
    page.fill("input[name=code]", pyotp.TOTP(secret).at(clock.now()))
    page.click("form[action='/login/mfa'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.click(".menu-more > summary")  # the data page sits with the administration, behind "More"
    page.click(".menu-panel a[href='/admin/data']")
    page.wait_for_url("**/admin/data")
    assert page.locator("h1").inner_text() == "Data and retention"
    rows = page.locator("table.pv-table tbody tr")
    assert rows.count() == len(declarations.load())
    users_row = page.locator("#data-users")
    assert users_row.locator("td").nth(4).inner_text() == "2"  # the worker and the operator
    assert "7 years" in page.locator("#data-bookings").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], "the register fits the tablet without sideways scrolling"
    screenshot(page, "privacy-data-page-tablet")

    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert not page.locator(".pv-no-print").is_visible()
    assert rows.first.is_visible()
    screenshot(page, "privacy-data-page-print")
    page.emulate_media(media="screen")

    page.goto("/admin/audit")
    page.select_option("select[name=action]", "user.create")
    page.click("form[action='/admin/audit'] button")
    page.wait_for_url("**/admin/audit?*action=user.create*")
    codes = [cell.get_attribute("data-action") for cell in page.locator("table tbody [data-action]").all()]
    assert codes and set(codes) == {"user.create"}
    box = page.locator("form[action='/admin/audit'] button").bounding_box()
    assert box["height"] >= 44
    screenshot(page, "privacy-audit-filtered-tablet")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_worker_opens_her_privacy_notice_from_her_account_on_a_phone(app, live_server, new_page, make_user):
    make_user(Role.WORKER, "roos")
    page = new_page(PHONE)  # Dutch, the default language
    browser_login(page, "roos", PASSWORD)
    page.goto("/account")
    link = page.locator("a[href='/privacy']")
    assert link.inner_text() == "Wat er over jou bewaard wordt"
    assert link.bounding_box()["height"] >= 44
    link.click()
    page.wait_for_url("**/privacy")
    assert page.locator("h1").inner_text() == "Wat er over jou bewaard wordt"
    items = page.locator(".pv-list li")
    assert items.count() == len([rule for rule in declarations.load() if rule.notice])
    text = page.locator(".pv-notice").inner_text()
    assert "Je boekingen" in text and "7 jaar" in text and "jij" in text
    assert page.locator("#quick-exit").is_visible(), "worker pages keep the quick exit"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "privacy-notice-phone")
