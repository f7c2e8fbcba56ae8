"""On a phone: a worker reads the rota, asks for a talk, withdraws it; the wegwijzer filters by topic."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from location_ops.accounts.models import User
from location_ops.clock import local_today
from location_ops.rota import service
from location_ops.rota.models import TalkRequest
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, browser_login, screenshot
from tests.guide.conftest import restore_guide_seed

pytestmark = pytest.mark.browser

NOTE = "Question about opting-in"


def _arrange(app, make_user) -> None:
    caseworker = make_user("caseworker", "sanne-cw")
    make_user("worker", "roos")
    restore_guide_seed(app)
    with app.state.sessionmaker() as db_session:
        user = db_session.get(User, caseworker.id)
        service.update_profile(db_session=db_session, user=user, display_name="Sanne",
                               introduction="Bookkeeper who knows opting-in. Ask me about tax and money.",
                               languages=["nl", "en", "ro"], organisation="Belle")
        tomorrow = local_today() + dt.timedelta(days=1)
        service.create_visit(db_session=db_session, actor=user, caseworker_id=user.id, weekday=tomorrow.weekday(),
                             starts_at=dt.time(14), ends_at=dt.time(16), valid_from=local_today())
        service.post_announcement(db_session=db_session, author=user, title="Easter lunch",
                                  body="Thursday from 12:30 in the kitchen.")
        db_session.commit()


def _talk_count(app) -> int:
    with app.state.sessionmaker() as db_session:
        return db_session.scalar(select(func.count()).select_from(TalkRequest))


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules run on both backends elsewhere; one browser run
def test_worker_asks_for_a_talk_and_withdraws_it_then_filters_the_guide(app, live_server, new_page, make_user):
    _arrange(app, make_user)
    page = new_page(PHONE, locale="en-GB")
    browser_login(page, "roos", PASSWORD)

    page.goto("/rota")
    visit = page.locator(".rota-visit").first
    assert "Sanne" in visit.inner_text() and "14:00–16:00" in visit.inner_text()
    assert "opting-in" in visit.inner_text()
    assert "Easter lunch" in page.locator("#rota-announcements").inner_text()
    ask = visit.locator("a.button")
    box = ask.bounding_box()
    assert box["height"] >= 48 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "rota-phone-1-week")

    ask.click()
    page.wait_for_url("**/rota/talk?**")
    page.check("input[name=topics][value=money_tax]")
    page.check("input[name=topics][value=changing_work]")
    page.fill("textarea[name=note]", NOTE)
    screenshot(page, "rota-phone-2-ask")
    page.click("#talk-form button[type=submit]")
    page.wait_for_url("**/rota?asked=1")
    assert page.locator(".badge-asked").count() == 1
    assert NOTE in page.locator("#my-talks").inner_text()
    assert _talk_count(app) == 1
    screenshot(page, "rota-phone-3-asked")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#my-talks form button").click()
    page.wait_for_url("**/rota?withdrawn=1")
    assert page.locator(".badge-asked").count() == 0
    assert _talk_count(app) == 0

    page.goto("/guide")
    page.wait_for_function("window.htmx !== undefined && document.body.hasAttribute('hx-headers')")
    assert page.locator(".guide-entry").count() == 12
    with page.expect_response(lambda response: "category=addiction" in response.url) as swapped:
        page.select_option("#guide-category", "addiction")
    assert swapped.value.status == 200
    page.wait_for_function("document.querySelectorAll('.guide-entry').length < 12")
    names = page.locator(".guide-entry h2").all_inner_texts()
    assert "Jellinek" in names and "Moviera" not in names
    assert "category=addiction" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "guide-phone-addiction")
    page.locator("#refer-violence summary").click()
    assert "Veilig Thuis" in page.locator("#refer-violence").inner_text()
    screenshot(page, "guide-phone-refer")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_caseworker_plans_and_cancels_a_visit_on_a_tablet(app, live_server, new_page, make_user):
    from tests.e2e.conftest import TABLET

    make_user("caseworker", "joost-cw")
    page = new_page(TABLET, locale="en-GB")
    browser_login(page, "joost-cw", PASSWORD)
    page.goto("/rota/manage")
    tomorrow = local_today() + dt.timedelta(days=1)
    page.select_option("#visit-form select[name=weekday]", str(tomorrow.weekday()))
    page.fill("#visit-form input[name=organisation]", "Belle")
    page.click("#visit-form button[type=submit]")
    page.wait_for_selector("[data-visit-id]")
    page.click("details.rota-change summary")
    page.select_option("details.rota-change select[name=kind]", "cancelled")
    page.fill("details.rota-change input[name=on_date]", tomorrow.isoformat())
    page.fill("details.rota-change input[name=reason]", "Training day")
    screenshot(page, "rota-tablet-manage")
    page.click("details.rota-change button[type=submit]")
    page.wait_for_selector(".badge-cancelled")
    page.goto("/rota")
    cancelled = page.locator(".rota-visit.is-cancelled").first
    assert "Training day" in cancelled.inner_text()
    assert page.locator(".rota-visit").count() == 2  # tomorrow (cancelled) and a week later
    screenshot(page, "rota-tablet-week")
