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
