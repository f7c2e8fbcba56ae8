"""On a phone: a worker downloads her own data from her account page and asks for erasure."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from location_ops.privacy.models import ErasureRequest
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, browser_login, screenshot

pytestmark = pytest.mark.browser


def _fits(page, locator) -> None:
    box = locator.bounding_box()
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


@pytest.mark.parametrize("backend", ["sqlite"])  # the rules run on both backends elsewhere; one browser run
def test_worker_downloads_her_data_and_asks_for_erasure_on_a_phone(app, new_page, make_user, tmp_path):
    worker = make_user("worker", "roos")
    page = new_page(PHONE, locale="en-GB")
    browser_login(page, "roos", PASSWORD)

    page.goto("/account")
    download_link = page.get_by_role("link", name="Download my data")
    _fits(page, download_link)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "own-data-phone-1-account")
    with page.expect_download() as caught:
        download_link.click()
    download = caught.value
    assert download.suggested_filename.startswith("my-data-") and download.suggested_filename.endswith(".zip")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    assert json.loads(archive.read("data.json"))["tables"]["users"][0]["username"] == "roos"
    # The page inside the ZIP reads on a phone too.
    (tmp_path / "index.html").write_bytes(archive.read("index.html"))
    page.goto((tmp_path / "index.html").as_uri())
    assert "Your data" in page.locator("h1").inner_text()
    screenshot(page, "own-data-phone-2-export-page")

    page.goto("/account")
    page.get_by_role("link", name="Erase my data").click()
    page.wait_for_url("**/account/erasure")
    ask = page.get_by_role("button", name="Ask for erasure")
    _fits(page, ask)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "own-data-phone-3-erasure")
    # The request asks first; dismissing it sends nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    ask.click()
    assert page.get_by_role("button", name="Ask for erasure").is_visible()
    with app.state.sessionmaker() as db_session:
        assert db_session.scalar(select(ErasureRequest).where(ErasureRequest.worker_id == worker.id)) is None
    page.once("dialog", lambda dialog: dialog.accept())
    ask.click()
    page.get_by_role("button", name="Withdraw my request").wait_for()
    assert "You asked for erasure" in page.locator("[role=status]").inner_text()
    screenshot(page, "own-data-phone-4-asked")
    with app.state.sessionmaker() as db_session:
        assert db_session.scalar(select(ErasureRequest).where(ErasureRequest.worker_id == worker.id)) is not None


@pytest.mark.parametrize("backend", ["sqlite"])
def test_operator_confirms_an_erasure_on_the_laptop(app, new_page, make_user):
    import pyotp

    from location_ops.accounts.models import User
    from location_ops.clock import utcnow
    from location_ops.privacy import erasure
    from tests.e2e.conftest import TABLET

    operator = make_user("operator", "kas-op")
    worker = make_user("worker", "lila")
    make_user("worker", "mira")
    secret = pyotp.random_base32()
    with app.state.sessionmaker() as db_session:
        stored = db_session.get(User, operator.id)
        stored.mfa_secret, stored.mfa_enabled = secret, True
        erasure.request_erasure(db_session=db_session, worker=db_session.get(User, worker.id), actor_id=worker.id)
        db_session.commit()
    page = new_page(TABLET, locale="en-GB")
    browser_login_mfa(page, "kas-op", secret, utcnow)
    page.goto("/admin/erasure")
    row = page.locator("tbody tr", has_text="lila")
    confirm = row.get_by_role("button", name="Confirm erasure")
    assert confirm.bounding_box()["height"] >= 44
    screenshot(page, "erasure-tablet-1-requests")
    page.once("dialog", lambda dialog: dialog.accept())
    confirm.click()
    page.wait_for_url("**/admin/erasure?done=1")
    assert "Erased." in page.locator("[role=status]").inner_text()
    assert "lila" not in page.content()
    assert "mira" in page.locator("select[name=worker_id]").inner_text()
    screenshot(page, "erasure-tablet-2-done")


def browser_login_mfa(page, username: str, secret: str, now) -> None:
    import pyotp

    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/login/mfa**")
    page.fill("input[name=code]", pyotp.TOTP(secret).at(now()))
    page.click("form[action='/login/mfa'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
